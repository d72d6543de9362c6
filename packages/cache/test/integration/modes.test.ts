import { createServer, type Server } from "node:net";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { claudeCodeSession } from "../../src/testing/index";
import { ANTHROPIC_KEY, ledgerRows, type Rig, startRig } from "./helpers";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function replay(r: Rig, turns: number) {
  for (const body of claudeCodeSession(turns)) {
    const res = await fetch(`${r.proxy.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "x-api-key": ANTHROPIC_KEY,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/event: message_stop/);
  }
  await new Promise((res) => setTimeout(res, 150));
  return ledgerRows(r.workspace);
}

describe("modes on a Claude-Code-shaped session", () => {
  it("mutate reads the prefix from the provider's cache where passthrough cannot", async () => {
    rig = await startRig({ mode: "passthrough" });
    const pass = await replay(rig, 5);
    expect(pass.reduce((s, r) => s + (r.cache_read_tokens as number), 0)).toBe(0);
    await rig.close();
    rig = await startRig({ mode: "mutate" });
    const mut = await replay(rig, 5);
    const reads = mut.slice(1).map((r) => r.cache_read_tokens as number);
    expect(Math.min(...reads)).toBeGreaterThan(15_000);
    expect(mut[0]).toMatchObject({ breakpoints: { client: 3, final: 4 }, stripped: { cch: 1 } });
    const cost = (rows: typeof mut) => rows.reduce((s, r) => s + (r.cost_usd as number), 0);
    expect(cost(mut)).toBeLessThan(cost(pass) * 0.5);
  });

  it("rebuild-kernel falls back to a local projection when no kernel answers", async () => {
    rig = await startRig({
      mode: "rebuild-kernel",
      rebuildAfterMessages: 8,
      kernel: { projectionTimeoutMs: 100, invalidation: false },
    });
    const rows = await replay(rig, 12);
    const last = rows[rows.length - 1];
    expect(last.rebuild).toMatchObject({ source: "local" });
    const sent = rig.up.requests[rig.up.requests.length - 1].body;
    expect(JSON.stringify(sent.messages[1])).toMatch(/ostk-projection/);
  });
});

function fakeRecall(path: string, delayMs: number): Promise<Server> {
  const server = createServer((sock) => {
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl === -1) return;
      const req = JSON.parse(buf.slice(0, nl));
      const hits = [
        {
          id: "chunk-1",
          path: "src/store.ts",
          start_line: 1,
          end_line: 9,
          symbol: "openStore",
          snippet: "export function openStore() {}",
          score: 0.9,
        },
      ];
      setTimeout(
        () => sock.end(`${JSON.stringify({ jsonrpc: "2.0", id: req.id, result: { hits } })}\n`),
        delayMs,
      );
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe("enrich and the secret filter", () => {
  it("injects recall hits after the cached prefix and records them; a slow recall leaves the request alone", async () => {
    rig = await startRig({ enrich: { enabled: true, timeoutMs: 150 } });
    const sock = join(rig.workspace, ".ostk", "recall.sock");
    const server = await fakeRecall(sock, 0);
    const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: rig.proxy.url, maxRetries: 0 });
    const body = claudeCodeSession(2)[1];
    await client.messages.create({ ...body, max_tokens: 1000, stream: false });
    const sent = rig.up.requests[0].body;
    const last = sent.messages[sent.messages.length - 1].content;
    expect(last[last.length - 1].text).toMatch(/^<ostk-memory[\s\S]*openStore/);
    expect(last[last.length - 2].cache_control).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150));
    expect(ledgerRows(rig.workspace)[0].enrich).toMatchObject({ ids: ["chunk-1"] });
    await new Promise<void>((r) => server.close(() => r()));
    const slow = await fakeRecall(sock, 1000);
    await client.messages.create({ ...body, max_tokens: 1000, stream: false });
    expect(JSON.stringify(rig.up.requests[1].body)).not.toMatch(/ostk-memory/);
    slow.close();
  });

  it("masks secrets in model output for JSON and SSE, leaving tool-use JSON intact", async () => {
    rig = await startRig({ filterSecrets: true });
    const leaked = "sk-ant-api03-LEAKEDLEAKEDLEAKEDLEAKED0123456789";
    const text = `${"word ".repeat(80)}your key is ${leaked} and ${"more ".repeat(80)}`;
    rig.up.enqueue({ text }, { text, toolUses: [{ name: "Write", input: { content: "keep me" } }] });
    const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: rig.proxy.url, maxRetries: 0 });
    const q = {
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      messages: [{ role: "user" as const, content: "hi" }],
    };
    const json = await client.messages.create(q);
    expect(JSON.stringify(json)).not.toContain(leaked);
    const streamed = await client.messages.stream(q).finalMessage();
    const out = streamed.content[0].type === "text" ? streamed.content[0].text : "";
    expect(out).not.toContain(leaked);
    expect(out).toMatch(/your key is \[REDACTED/);
    expect(out.length).toBeGreaterThan(700);
    expect(streamed.content[1]).toMatchObject({ type: "tool_use", input: { content: "keep me" } });
    rig.up.enqueue({ text }, { text });
    const openai = new OpenAI({
      apiKey: "sk-proj-openai-filter-test-000000000",
      baseURL: `${rig.proxy.url}/v1`,
      maxRetries: 0,
    });
    const chat = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let chatText = "";
    for await (const chunk of chat) chatText += chunk.choices[0]?.delta?.content ?? "";
    expect(chatText).not.toContain(leaked);
    expect(chatText).toMatch(/your key is \[REDACTED/);
    const resp = await openai.responses.stream({ model: "gpt-4o", input: "hi" }).finalResponse();
    expect(resp.output_text).not.toContain(leaked);
    expect(resp.output_text.length).toBeGreaterThan(700);
  });
});

describe("rebuild-kernel with a kernel", () => {
  it("adds the kernel's kernel/projection text to the projection message", async () => {
    const lib = await import("@ostk/lib");
    const serveRpc = (lib as Record<string, unknown>).serveRpc as
      | ((o: {
          socketPath: string;
          handlers: Record<string, () => Promise<unknown>>;
        }) => Promise<{ close(): Promise<void> }>)
      | undefined;
    if (!serveRpc) throw new Error("@ostk/lib has no serveRpc");
    rig = await startRig({
      mode: "rebuild-kernel",
      rebuildAfterMessages: 8,
      kernel: { projectionTimeoutMs: 1000, invalidation: false },
    });
    const server = await serveRpc({
      socketPath: join(rig.workspace, ".ostk", "ostk.sock"),
      handlers: {
        "kernel/projection": async () => ({
          workspace: rig?.workspace,
          head_seq: 7,
          files: [{ path: "src/a.ts", gen: 3 }],
          text: "src/a.ts gen 3 (claude-code-1)",
        }),
      },
    });
    try {
      const rows = await replay(rig, 12);
      expect(rows[rows.length - 1].rebuild).toMatchObject({ source: "kernel" });
      const sent = rig.up.requests[rig.up.requests.length - 1].body;
      expect(sent.messages[1].content[0].text).toMatch(
        /Prior user intents[\s\S]*Workspace state \(kernel\):\nsrc\/a\.ts gen 3/,
      );
    } finally {
      await server.close();
    }
  });
});
