import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "@ostk/lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import { JOURNAL_INGEST_KEY, JOURNAL_PATH } from "../../src/source/journal-source.js";

async function until(what: string, fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A real kernel writes the journal recall reads. Loaded by path at run time, so recall's typecheck does not
// compile the kernel's sources (recall never imports the kernel itself).
interface KernelHandle {
  socketPath: string | null;
  close(): Promise<void>;
}
interface KernelModule {
  ensureKey(dir: string): { info: { keyPath: string } };
  startKernel(o: { workspace: string; keyPath: string; extend?: unknown }): Promise<KernelHandle>;
  /** The daemon's extensions: the bash syscall (`exec`) and approvals. */
  kernelExtensions: unknown;
}
const KERNEL_SRC = new URL("../../../kernel/src/index.ts", import.meta.url).pathname;

describe("the kernel's journal as a searchable source (real kernel)", () => {
  let root: string;
  let ws: string;
  let kernel: KernelHandle;
  let agent: KernelClient;
  let recall: Recall;
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "recall-journal-")));
    ws = join(root, "ws");
    const { ensureKey, startKernel, kernelExtensions } = (await import(
      /* @vite-ignore */ KERNEL_SRC
    )) as KernelModule;
    const { info } = ensureKey(join(root, "keys"));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws);
    kernel = await startKernel({ workspace: ws, keyPath: info.keyPath, extend: kernelExtensions });
    agent = await KernelClient.connect({
      socketPath: kernel.socketPath as string,
      identity: { id: "agent-otter", kind: "agent" },
    });
    await agent.call("fs/write", { path: "src/billing.ts", content: "export const rate = 1;\n" });
    await agent.call("fs/edit", {
      path: "src/billing.ts",
      old_str: "rate = 1",
      new_str: "rate = 2",
    });
    await agent.call("fs/write", { path: "notes/todo.md", content: "# todo\n" });
    await agent.call("fs/move", { from: "notes/todo.md", to: "notes/done.md" });
    recall = await openRecall({ workspace: ws });
  }, 60_000);
  afterAll(async () => {
    await recall?.close();
    await agent?.close();
    await kernel?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("a scan stores one event per committed change: who, what, when", async () => {
    const r = await recall.scan();
    expect(r.events).toBe(5); // four changes; the move is listed under both of its paths
    const { hits } = await recall.search("billing", { source: ["journal"], path: "src/billing.ts" });
    expect(hits.map((h) => h.symbol).sort()).toEqual(["edit by agent-otter", "write by agent-otter"]);
    for (const h of hits) {
      expect(h.source).toBe("journal");
      expect(Date.now() - Date.parse(h.time as string)).toBeLessThan(60_000);
    }
    const moved = (await recall.search("todo moved", { source: ["journal"] })).hits.find(
      (h) => h.symbol?.startsWith("move") && h.path === "notes/todo.md",
    );
    expect(moved?.path).toBe("notes/todo.md");
    expect(moved?.snippet).toContain("moved to notes/done.md by agent-otter (agent");
    const view = await recall.view({ id: moved?.id as string });
    expect(view.text).toMatch(/^notes\/todo\.md moved to notes\/done\.md by agent-otter/);
    const here = (await recall.search("moved", { source: ["journal"], path: "notes/done.md" })).hits;
    expect(here.map((h) => h.snippet.split("\n")[0])).toEqual([
      expect.stringMatching(/^notes\/done\.md moved here from notes\/todo\.md by agent-otter/),
    ]);
    // not part of a plain search unless asked for
    expect((await recall.search("billing")).hits.every((h) => h.source !== "journal")).toBe(true);
  });

  it("re-scans read only new lines, from the stored cursor; status shows it", async () => {
    expect((await recall.scan()).events).toBe(0);
    await agent.call("fs/delete", { path: "src/billing.ts" });
    expect((await recall.scan()).events).toBe(1);
    const st = await recall.status();
    const journal = st.sources.find((s) => s.name === "journal");
    expect(journal).toMatchObject({ enabled: true, chunks: 6, location: join(ws, ".ostk", "journal.jsonl") });
    expect(journal?.cursor).toMatchObject({ offset: expect.any(Number), lastSeq: expect.any(Number) });
    expect(st.sources.find((s) => s.name === "transcript")).toMatchObject({ enabled: false, chunks: 0 });
    const del = (await recall.search("billing deleted", { source: ["journal"] })).hits[0];
    expect(del.symbol).toBe("delete by agent-otter");
  });

  it("every change to one file is listed, not three per file like code chunks", async () => {
    await agent.call("fs/write", { path: "src/rates.ts", content: "export const rate = 0;\n" });
    for (let i = 1; i <= 5; i++)
      await agent.call("fs/edit", {
        path: "src/rates.ts",
        old_str: `rate = ${i - 1}`,
        new_str: `rate = ${i}`,
      });
    expect((await recall.scan()).events).toBe(6);
    const { hits } = await recall.search("rates edited", {
      source: ["journal"],
      path: "src/rates.ts",
      limit: 20,
    });
    expect(hits.map((h) => h.symbol).sort()).toEqual([
      ...Array(5).fill("edit by agent-otter"),
      "write by agent-otter",
    ]);
  });

  it("while watching, the kernel subscription adds new commits as events", async () => {
    await recall.watch();
    try {
      await until("the kernel subscription", async () => (await recall.status()).kernel === "following");
      await agent.call("fs/write", {
        path: "src/invoice.ts",
        content:
          "export function invoiceTotal(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0);\n}\n",
      });
      await until("the invoice event", async () =>
        (await recall.search("invoice", { source: ["journal"] })).hits.some(
          (h) => h.path === "src/invoice.ts" && h.symbol === "write by agent-otter",
        ),
      );
      // and the file itself is indexed through the same subscription
      await until("the invoice code", async () =>
        (await recall.search("invoiceTotal")).hits.some((h) => h.source === "code"),
      );
      // commands arrive through it too
      await agent.call("exec", { command: "wc -l src/invoice.ts" });
      await until("the command event", async () =>
        (await recall.search("wc invoice", { source: ["journal"] })).hits.some(
          (h) => h.symbol === "command by agent-otter",
        ),
      );
    } finally {
      await recall.unwatch();
    }
    // the events from the subscription and from the file are the same chunks
    expect((await recall.scan()).events).toBe(0);
  });

  it("commands run through the kernel and refused calls are events too", async () => {
    const ran = (await agent.call("exec", { command: "echo shipped > release-notes.txt" })) as {
      exitCode: number;
    };
    expect(ran.exitCode).toBe(0);
    await expect(agent.call("fs/write", { path: ".ostk/tampered", content: "x" })).rejects.toMatchObject({
      kind: "PolicyDenied",
    });
    // the command, the file it created (attributed to it), the refusal
    expect((await recall.scan()).events).toBe(3);
    const cmd = (await recall.search("echo shipped release notes", { source: ["journal"] })).hits.find(
      (h) => h.symbol === "command by agent-otter",
    );
    expect(cmd?.snippet).toMatch(
      /^command `echo shipped > release-notes\.txt` run by agent-otter \(agent.*: exited 0/,
    );
    expect(cmd?.snippet).toContain("created: release-notes.txt");
    const file = (await recall.search("release notes", { source: ["journal"], path: "release-notes.txt" }))
      .hits;
    expect(file[0]?.snippet).toMatch(/changed by a command by agent-otter/);
    const refused = (await recall.search("tampered refused", { source: ["journal"] })).hits[0];
    expect(refused).toMatchObject({ path: ".ostk/tampered", symbol: "refused for agent-otter" });
    expect(refused.snippet).toMatch(/^`write \.ostk\/tampered` by agent-otter \(agent.*\) was refused/);
  });

  it("an index stored by an older version is rebuilt from the journal once", async () => {
    // Make the index look like an older version's: no command events, a cursor at the end, no version.
    const commands = recall.store.chunkIdsOfSource("journal", JOURNAL_PATH);
    expect(commands.length).toBe(2); // `wc` while watching, `echo` above
    recall.store.removeChunkIds(commands);
    expect((await recall.scan()).events).toBe(0); // a current cursor does not go back
    const kept = recall.store.chunkIdsOfSource("journal").length;
    const state = recall.store.getIngest<Record<string, unknown>>(JOURNAL_INGEST_KEY);
    recall.store.setIngest(JOURNAL_INGEST_KEY, { ...state, v: undefined });
    // rebuilt from the journal: the missing ones are back, nothing is stored twice
    expect((await recall.scan()).events).toBe(kept + 2);
    expect(recall.store.chunkIdsOfSource("journal").length).toBe(kept + 2);
    expect((await recall.scan()).events).toBe(0);
  });

  it("journal = false drops the events", async () => {
    const off = await openRecall({ workspace: ws, config: { journal: false } });
    try {
      await off.scan();
      expect((await off.status()).sources.find((s) => s.name === "journal")).toMatchObject({
        enabled: false,
        chunks: 0,
      });
    } finally {
      await off.close();
    }
  });
});
