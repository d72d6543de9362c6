import { readFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { FakeUpstream } from "@ostk/cache/testing";
import { trustedKeys } from "@ostk/kernel";
import { type AuditTailItem, auditTail, type JournalEntry, RecallClient, verifyJournal } from "@ostk/lib";
import { expect } from "vitest";
import { eventually, filesContaining, OLD_GREET, TEST_KEY } from "./helpers.js";
import type { Stack } from "./stacks.js";

export interface ScenarioFigures {
  recall_found_ms: number;
  invalidated_ms: number;
}

/**
 * The user's path through ostk, asserted step by step:
 * an MCP client edits a file through `ostk mcp` → the entry is signed and the journal verifies →
 * recall finds the new content within 2 s → the cached answer about the old content is no longer
 * served → the audit tail (started before) yields the entry → the ledger has the requests, no secret.
 */
export async function runScenario(
  stack: Stack,
  fake: FakeUpstream,
  env: NodeJS.ProcessEnv,
  keyDir: string,
): Promise<ScenarioFigures> {
  const ws = stack.workspace;
  const journal = join(ws, ".ostk", "journal.jsonl");

  // The audit tail starts before anything changes.
  const ac = new AbortController();
  const tailed: AuditTailItem[] = [];
  const tailing = (async () => {
    try {
      for await (const item of auditTail(journal, { signal: ac.signal })) tailed.push(item);
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    }
  })();

  // A deterministic (temperature 0) question about the file, answered once by the upstream, then from the cache.
  const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: stack.proxy, maxRetries: 0 });
  const ask = () =>
    anthropic.messages.create({
      // temperature is not in SDK 1.x's types (newer models ignore it); the proxy caches temperature-0 calls.
      ...({ temperature: 0 } as object),
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: `What does src/greet.ts say?\n\n${OLD_GREET}` }],
    });
  fake.setDefault({ text: "It says: Hello, <name>! Welcome aboard the good ship." });
  const upstreamBefore = fake.requests.length;
  const first = await ask();
  expect(fake.requests.length).toBe(upstreamBefore + 1);
  const second = await ask();
  expect(fake.requests.length, "the second identical temperature-0 request is served from the cache").toBe(
    upstreamBefore + 1,
  );
  expect(second.content).toEqual(first.content);

  // An agent edits the file through the kernel's MCP server, using the official SDK client.
  const mcp = new Client({ name: "e2e-agent", version: "1.0.0" });
  await mcp.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [stack.kernelCli, "mcp", "-C", ws],
      env: env as Record<string, string>,
      stderr: "pipe",
    }),
  );
  try {
    return await afterConnect();
  } finally {
    await mcp.close().catch(() => undefined);
  }

  async function afterConnect(): Promise<ScenarioFigures> {
    const tools = await mcp.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["read", "edit", "write"]));
    const read = await mcp.callTool({ name: "read", arguments: { path: "src/greet.ts" } });
    expect(read.isError).toBeFalsy();
    const edit = await mcp.callTool({
      name: "edit",
      arguments: {
        path: "src/greet.ts",
        old_str: "Welcome aboard the good ship.",
        new_str: "Mind the platypus zebraquokka gap.",
      },
    });
    const editedAt = performance.now();
    expect(edit.isError, JSON.stringify(edit.content)).toBeFalsy();
    expect(readFileSync(join(ws, "src", "greet.ts"), "utf8")).toContain("platypus zebraquokka");

    // From the edit on, recall and the cache are watched concurrently (the 2 s budget starts at the edit).
    const recall = await RecallClient.connect({ socketPath: join(ws, ".ostk", "recall.sock") });
    const recallFound = eventually(
      async () => {
        const r = (await recall.search({ query: "platypus zebraquokka" })) as { hits: { path: string }[] };
        return r.hits.some((h) => h.path === "src/greet.ts") ? performance.now() - editedAt : 0;
      },
      2_000 - (performance.now() - editedAt),
      "recall to find the edited content within 2 s of the edit",
    ).finally(() => recall.close());
    const invalidatedAt = eventually(
      async () => {
        const s = (await (await fetch(`${stack.proxy}/ostk/stats`)).json()) as {
          counters: { invalidated: number };
        };
        return s.counters.invalidated > 0 ? performance.now() - editedAt : 0;
      },
      2_000,
      "the cache to mark the stale response",
    );
    // Awaited below; these keep an early assertion failure from also reporting them as unhandled.
    recallFound.catch(() => undefined);
    invalidatedAt.catch(() => undefined);

    // The entry is signed, attributed to the MCP client, and the whole journal verifies.
    const entries = readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JournalEntry);
    const entry = entries.find((e) => e.event === "fs.commit" && e.path === "src/greet.ts");
    expect(entry, "an fs.commit entry for src/greet.ts").toBeDefined();
    if (!entry) throw new Error("unreachable");
    expect(entry.sig).toMatch(/^[0-9a-f]{128}$/);
    expect(entry.actor.kind).toBe("mcp");
    expect(entry.actor.id).toBe("e2e-agent");
    const verified = await verifyJournal(journal, { keys: trustedKeys(keyDir) });
    expect(verified.ok, JSON.stringify(verified.first_bad)).toBe(true);
    expect(verified.head_seq).toBeGreaterThanOrEqual(entry.seq);

    // Recall found the new content within 2 s of the edit.
    const recallMs = await recallFound;

    // The cached answer about the old content is no longer served: the next identical question goes upstream.
    const invalidated = await invalidatedAt;
    const beforeThird = fake.requests.length;
    await ask();
    expect(fake.requests.length, "the stale cached response is not served").toBe(beforeThird + 1);

    // The audit tail, started before the edit, yielded the entry.
    await eventually(
      () => tailed.some((t) => t.entry?.seq === entry.seq),
      2_000,
      "the audit tail to yield the entry",
    );
    ac.abort();
    await tailing;

    // The ledger has a row per request, and the API key is nowhere under .ostk/.
    const ledgerPath = join(ws, ".ostk", "memory", "ledger.jsonl");
    await eventually(
      () => readFileSync(ledgerPath, "utf8").trim().split("\n").length >= 3,
      3_000,
      "ledger rows",
    );
    const rows = readFileSync(ledgerPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { route: string; response_cache: string; status: number });
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => r.response_cache)).toContain("hit");
    expect(rows.every((r) => r.status === 200)).toBe(true);
    expect(filesContaining(join(ws, ".ostk"), TEST_KEY)).toEqual([]);
    expect(filesContaining(join(ws, ".ostk"), TEST_KEY.slice(-24))).toEqual([]);

    return { recall_found_ms: Math.round(recallMs), invalidated_ms: Math.round(invalidated) };
  }
}
