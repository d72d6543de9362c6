import { connect } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ANTHROPIC_KEY, allFiles, ledgerRows, OPENAI_KEY, type Rig, startRig } from "./helpers";

let rig: Rig;
let anthropic: Anthropic;
let openai: OpenAI;
beforeAll(async () => {
  rig = await startRig({ upstreamTimeoutMs: 1500 });
  anthropic = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: rig.proxy.url, maxRetries: 0 });
  openai = new OpenAI({ apiKey: OPENAI_KEY, baseURL: `${rig.proxy.url}/v1`, maxRetries: 0 });
});
afterAll(() => rig.close());
beforeEach(() => {
  rig.up.requests.length = 0;
});

const model = "claude-sonnet-4-6";
const ask = (content: string, extra: object = {}) => ({
  model,
  max_tokens: 100,
  messages: [{ role: "user" as const, content }],
  ...extra,
});

describe("official SDKs through the proxy", () => {
  it("Anthropic: JSON, stream, tool use, count_tokens and ?beta=true reach the client unchanged", async () => {
    rig.up.enqueue(
      { text: "plain" },
      { text: "let me read", toolUses: [{ name: "Read", input: { file_path: "/w/src/a.ts" } }] },
      { text: "beta" },
    );
    const r = await anthropic.messages.create(ask("one"));
    expect(r.content).toEqual([{ type: "text", text: "plain" }]);
    const final = await anthropic.messages.stream(ask("two")).finalMessage();
    expect(final.content[1]).toMatchObject({
      type: "tool_use",
      name: "Read",
      input: { file_path: "/w/src/a.ts" },
    });
    const beta = await anthropic.beta.messages.create({ ...ask("three"), betas: ["context-1m-2025-08-07"] });
    expect(beta.content[0]).toMatchObject({ text: "beta" });
    const count = await anthropic.messages.countTokens({
      model,
      messages: [{ role: "user", content: "count me" }],
    });
    expect(count.input_tokens).toBeGreaterThan(0);
    await fetch(`${rig.proxy.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "x-api-key": ANTHROPIC_KEY,
        "content-type": "application/json",
        "anthropic-beta": "context-1m-2025-08-07",
      },
      body: JSON.stringify(ask("four")),
    });
    const [plain] = rig.up.requests;
    const betaReq = rig.up.requests[rig.up.requests.length - 1];
    expect(plain.headers.authorization).toBe(`Bearer ${ANTHROPIC_KEY}`);
    expect(plain.headers["accept-encoding"]).toBe("identity");
    expect(plain.headers["anthropic-version"]).toBeDefined();
    expect(betaReq.url).toBe("/v1/messages?beta=true");
    expect(betaReq.headers["anthropic-beta"]).toBe("context-1m-2025-08-07");
  });

  it("x-api-key auth is forwarded as sent", async () => {
    const res = await fetch(`${rig.proxy.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": ANTHROPIC_KEY,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        connection: "keep-alive",
      },
      body: JSON.stringify(ask("hi")),
    });
    expect(res.status).toBe(200);
    expect(rig.up.requests[0].headers["x-api-key"]).toBe(ANTHROPIC_KEY);
  });

  it("OpenAI: chat and responses, JSON and streaming", async () => {
    rig.up.enqueue(
      { text: "c1" },
      { text: "c2 streamed" },
      { text: "r1" },
      { text: "r2", toolUses: [{ name: "f", input: { a: 1 } }] },
    );
    const c = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(c.choices[0].message.content).toBe("c1");
    const s = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("c2 streamed");
    expect((await openai.responses.create({ model: "gpt-4o", input: "hi" })).output_text).toBe("r1");
    const final = await openai.responses.stream({ model: "gpt-4o", input: "hi" }).finalResponse();
    expect(final.output.find((o) => o.type === "function_call")).toMatchObject({
      name: "f",
      arguments: '{"a":1}',
    });
    // mutate mode gives OpenAI requests a stable per-workspace prompt_cache_key
    const keys = new Set(rig.up.requests.map((r) => r.body.prompt_cache_key));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^ostk-[0-9a-f]{12}$/);
  });
});

describe("errors reach the client in the provider's shape and nothing is cached", () => {
  const det = (content: string) => ask(content, { temperature: 0 });

  it("529 and 429 pass through verbatim", async () => {
    rig.up.enqueue({ error: { status: 529 } }, { error: { status: 429, headers: { "retry-after": "7" } } });
    await expect(anthropic.messages.create(det("e1"))).rejects.toMatchObject({
      status: 529,
      error: { error: { type: "overloaded_error" } },
    });
    const err = await anthropic.messages.create(det("e1")).catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.headers.get("retry-after")).toBe("7");
    rig.up.enqueue({ text: "fine now" });
    const ok = await anthropic.messages.create(det("e1"));
    expect(ok.content[0]).toMatchObject({ text: "fine now" });
    expect(rig.up.requests).toHaveLength(3);
  });

  it("a mid-stream error event and a cut stream both surface as errors; neither is cached", async () => {
    rig.up.enqueue(
      { text: "x".repeat(400), midStreamError: { afterEvents: 3 } },
      { text: "y".repeat(400), cutAfterEvents: 3 },
    );
    await expect(anthropic.messages.stream(det("s1")).finalMessage()).rejects.toThrow(/Overloaded/);
    await expect(anthropic.messages.stream(det("s1")).finalMessage()).rejects.toThrow(
      /stream ended before the response completed/,
    );
    rig.up.enqueue({ text: "complete" });
    expect((await anthropic.messages.create(det("s1"))).content[0]).toMatchObject({ text: "complete" });
    expect(rig.up.requests).toHaveLength(3);
  });

  it("a stream that goes quiet longer than the upstream timeout ends in an error event; not cached", async () => {
    rig.up.enqueue({ text: "q".repeat(200), chunkDelayMs: 1700 });
    const before = rig.up.requests.length;
    await expect(anthropic.messages.stream(det("quiet")).finalMessage()).rejects.toThrow(
      /stream ended before the response completed/,
    );
    rig.up.enqueue({ text: "after" });
    expect((await anthropic.messages.create(det("quiet"))).content[0]).toMatchObject({ text: "after" });
    expect(rig.up.requests.length).toBe(before + 2);
  });

  it("a client that leaves mid-stream makes the proxy hang up on the upstream (no paid tokens for nobody)", async () => {
    rig.up.enqueue({ text: "w".repeat(400), chunkDelayMs: 100 });
    const before = rig.up.requests.length;
    const stream = anthropic.messages.stream(ask("leave"));
    const ended = stream.finalMessage().catch((err: Error) => err.name);
    await new Promise<void>((resolve) => stream.on("text", () => resolve()));
    stream.abort();
    expect(await ended).toBe("APIUserAbortError");
    const upstream = rig.up.requests[before];
    for (let i = 0; i < 50 && !upstream.abandoned; i++) await new Promise((r) => setTimeout(r, 20));
    expect(upstream.abandoned).toBe(true);
  });

  it("OpenAI cut stream and upstream 500 JSON cut become provider-shaped errors", async () => {
    rig.up.enqueue({ text: "z".repeat(400), cutAfterEvents: 2 }, { text: "cut json", cutAfterEvents: 0 });
    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "c" }],
      stream: true,
    });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow(/stream ended/);
    await expect(
      openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "c" }] }),
    ).rejects.toMatchObject({
      status: 502,
    });
  });

  it("timeout → 504, upstream invalid JSON → 502, client invalid JSON → 400, all provider-shaped", async () => {
    rig.up.enqueue({ delayMs: 2500 }, { invalidJson: true });
    await expect(anthropic.messages.create(det("slow"))).rejects.toMatchObject({
      status: 504,
      error: { error: { type: "timeout_error" } },
    });
    await expect(anthropic.messages.create(det("bad"))).rejects.toMatchObject({
      status: 502,
      error: { type: "error" },
    });
    const res = await fetch(`${rig.proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${OPENAI_KEY}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    const res2 = await fetch(`${rig.proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[",
    });
    expect(await res2.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    await new Promise((r) => setTimeout(r, 1200)); // let the slow upstream turn finish
    const before = rig.up.requests.length;
    await anthropic.messages.create(det("slow"));
    await anthropic.messages.create(det("bad"));
    expect(rig.up.requests.length).toBe(before + 2);
  });

  it("an unreachable upstream is a 502 in the provider's shape", async () => {
    const { startCacheProxy } = await import("../../src/index");
    const dead = await startCacheProxy({
      workspace: rig.workspace,
      port: 0,
      upstream: "http://127.0.0.1:9",
      ignoreConfigFiles: true,
      followChanges: false,
    });
    const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: dead.url, maxRetries: 0 });
    await expect(client.messages.create(ask("x"))).rejects.toMatchObject({
      status: 502,
      error: { error: { type: "api_error" } },
    });
    await expect(
      client.messages.countTokens({ model, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 502, error: { error: { type: "api_error" } } });
    const bad = await fetch(`${dead.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "x-api-key": ANTHROPIC_KEY, "content-type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    await dead.close();
  });
});

describe("response cache", () => {
  it("serves temperature-0 repeats from the cache with a fresh id, as JSON or SSE", async () => {
    rig.up.enqueue({ text: "cached answer" });
    const first = await anthropic.messages.create(ask("deterministic q", { temperature: 0 }));
    const second = await anthropic.messages.create(
      ask("deterministic q", { temperature: 0, metadata: { user_id: "other" } }),
    );
    const streamed = await anthropic.messages
      .stream(ask("deterministic q", { temperature: 0 }))
      .finalMessage();
    expect(rig.up.requests).toHaveLength(1);
    expect(second.content).toEqual(first.content);
    expect(streamed.content).toEqual(first.content);
    expect(new Set([first.id, second.id, streamed.id]).size).toBe(3);
  });

  it("does not cache sampled requests, and keys never cross API keys", async () => {
    await anthropic.messages.create(ask("sampled"));
    await anthropic.messages.create(ask("sampled"));
    expect(rig.up.requests).toHaveLength(2);
    await anthropic.messages.create(ask("shared q", { temperature: 0 }));
    const other = new Anthropic({
      apiKey: "sk-ant-api03-OTHER-KEY-0000000000000000",
      baseURL: rig.proxy.url,
      maxRetries: 0,
    });
    await other.messages.create(ask("shared q", { temperature: 0 }));
    expect(rig.up.requests).toHaveLength(4);
  });

  it("x-ostk-cache: on opts a sampled request in; identical in-flight requests are coalesced", async () => {
    rig.up.enqueue({ text: "slow shared", delayMs: 300 });
    const opts = { headers: { "x-ostk-cache": "on" } };
    const [a, b, c] = await Promise.all([
      anthropic.messages.create(ask("coalesce me"), opts),
      anthropic.messages.create(ask("coalesce me"), opts),
      openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "other" }] }),
    ]);
    expect(a.content).toEqual(b.content);
    expect(c.choices[0].message.content).toMatch(/^ok/);
    expect(rig.up.requests.filter((r) => r.path === "/v1/messages")).toHaveLength(1);
  });

  it("server-side tools are never cached", async () => {
    const body = ask("search the web", {
      temperature: 0,
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    });
    await anthropic.messages.create(body as never);
    await anthropic.messages.create(body as never);
    expect(rig.up.requests).toHaveLength(2);
  });

  it("invalidate() marks entries mentioning a changed path stale", async () => {
    const body = ask("explain src/store/sqlite-store.ts please", { temperature: 0 });
    await anthropic.messages.create(body);
    await anthropic.messages.create(body);
    expect(rig.up.requests).toHaveLength(1);
    expect(await rig.proxy.invalidate({ paths: [`${rig.workspace}/src/store/sqlite-store.ts`] })).toBe(1);
    await anthropic.messages.create(body);
    expect(rig.up.requests).toHaveLength(2);
    const content = "export function veryDistinctiveName() {\n  return computeTheDistinctiveThing(42);\n}\n";
    const withContent = ask(`here is the file:\n${content}`, { temperature: 0 });
    await anthropic.messages.create(withContent);
    expect(await rig.proxy.invalidate({ contents: [content] })).toBe(1);
  });
});

describe("what the proxy writes", () => {
  it("ledger rows carry usage, cost and a key HMAC; no file holds an API key", async () => {
    await anthropic.messages.create(ask("ledger check"));
    await new Promise((r) => setTimeout(r, 150));
    const rows = ledgerRows(rig.workspace);
    const last = rows[rows.length - 1];
    expect(last).toMatchObject({ route: "anthropic-messages", model, status: 200, mode: "mutate" });
    expect(last.key_id).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof last.cost_usd).toBe("number");
    await fetch(`${rig.proxy.url}/hook/event`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        hook_event_name: "PostToolUse",
        tool_input: { file_path: "/x.ts", note: ANTHROPIC_KEY },
      }),
    });
    const files = allFiles(rig.workspace);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      expect(f.bytes.includes(ANTHROPIC_KEY), f.path).toBe(false);
      expect(f.bytes.includes(OPENAI_KEY), f.path).toBe(false);
      expect(f.bytes.includes("TESTKEY"), f.path).toBe(false);
    }
  });
});

describe("lifecycle", () => {
  it("close() lets an in-flight stream finish; stats and RPC handlers report it", async () => {
    const r = await startRig();
    r.up.enqueue({ text: "t".repeat(2000), chunkDelayMs: 5 });
    const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: r.proxy.url, maxRetries: 0 });
    const pending = client.messages.stream(ask("long stream")).finalMessage();
    while (r.up.requests.length === 0) await new Promise((res) => setTimeout(res, 5));
    const stats = await r.proxy.rpcHandlers()["cache/stats"]({ window: "1h" });
    expect(stats).toMatchObject({ invalidation: expect.any(String), ledger: { window: "1h" } });
    await r.proxy.close();
    const final = await pending;
    expect(final.content[0]).toMatchObject({ text: "t".repeat(2000) });
    expect(ledgerRows(r.workspace)).toHaveLength(1);
    await r.up.close();
  });
});

describe("shutdown", () => {
  it("close() does not wait for a connection that never sent a request", async () => {
    const r = await startRig();
    // what a client pool's spare connection looks like: connected, nothing sent
    const spare = connect(r.proxy.port, "127.0.0.1");
    await new Promise((res) => spare.once("connect", res));
    const ended = new Promise((res) => spare.once("close", res));
    // Node would keep it until headersTimeout (60 s); the guard fails the test long before that
    const guard = new Promise((_, reject) =>
      setTimeout(() => reject(new Error("close() still waiting after 10 s")), 10_000).unref(),
    );
    await Promise.race([r.proxy.close(), guard]);
    await ended;
    expect(spare.destroyed).toBe(true);
    await r.up.close();
  });
});

describe("passthrough routes and limits", () => {
  it("other paths pass through untouched (HEAD /, GET /v1/models) and oversize bodies get a provider-shaped 413", async () => {
    const head = await fetch(`${rig.proxy.url}/`, { method: "HEAD" });
    expect(head.status).toBe(404);
    const models = await fetch(`${rig.proxy.url}/v1/models?limit=2`, {
      headers: { "x-api-key": ANTHROPIC_KEY },
    });
    expect(models.status).toBe(404);
    expect(rig.up.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["HEAD /", "GET /v1/models?limit=2"]);
    expect(rig.up.requests[1].headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    const huge = JSON.stringify({
      model,
      max_tokens: 1,
      messages: [{ role: "user", content: "x".repeat(33 * 1024 * 1024) }],
    });
    const res = await fetch(`${rig.proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": ANTHROPIC_KEY, "content-type": "application/json" },
      body: huge,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    expect(rig.up.requests).toHaveLength(2);
  });
});
