import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import { makeWorkspace } from "../helpers/workspace.js";

/** The bound: a change is searchable within 1.5 s while watching. */
const DEADLINE_MS = 1500;

async function until(check: () => Promise<boolean>, ms = DEADLINE_MS): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not reflected within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const found = (recall: Recall, q: string, path: string) => async () =>
  (await recall.search(q, { lanes: ["bm25"] })).hits.some((h) => h.path === path);

describe("watcher keeps the index current", () => {
  let ws: ReturnType<typeof makeWorkspace>;
  let recall: Recall;
  beforeAll(async () => {
    ws = makeWorkspace();
    recall = await openRecall({ workspace: ws.dir });
    await recall.watch();
  });
  afterAll(async () => {
    await recall.close();
    ws.cleanup();
  });

  it("reports that no kernel is there to follow", async () => {
    expect((await recall.status()).kernel).toBe("kernel not running");
  });

  it("reflects edits, new files and deletes", async () => {
    writeFileSync(join(ws.dir, "src/server.go"), "package server\n\nfunc GracefulShutdownZebra() {}\n");
    await until(found(recall, "GracefulShutdownZebra", "src/server.go"));
    writeFileSync(join(ws.dir, "src/new-file.ts"), "export function quokkaCounter() { return 1; }\n");
    await until(found(recall, "quokkaCounter", "src/new-file.ts"));
    rmSync(join(ws.dir, "src/new-file.ts"));
    await until(async () => !(await found(recall, "quokkaCounter", "src/new-file.ts")()));
    expect(recall.store.getFile("src/new-file.ts")).toBeUndefined();
  });

  it("sees files created inside newly created nested directories", async () => {
    mkdirSync(join(ws.dir, "pkg/a/b/c"), { recursive: true });
    writeFileSync(join(ws.dir, "pkg/a/b/c/deep.py"), "def platypus_handler():\n    return 1\n");
    writeFileSync(join(ws.dir, "pkg/a/top.md"), "# Wombat notes\n");
    await until(found(recall, "platypus_handler", "pkg/a/b/c/deep.py"));
    await until(found(recall, "wombat", "pkg/a/top.md"));
    rmSync(join(ws.dir, "pkg"), { recursive: true });
    await until(async () => recall.store.filesUnder("pkg").length === 0);
  });

  it("handles atomic saves (write temp + rename)", async () => {
    const tmp = join(ws.dir, "src/.lru.ts.tmp-123");
    writeFileSync(tmp, "export class LruCache { narwhalEvict() {} }\n");
    renameSync(tmp, join(ws.dir, "src/cache/lru.ts"));
    await until(found(recall, "narwhalEvict", "src/cache/lru.ts"));
    expect(recall.store.getFile("src/.lru.ts.tmp-123")).toBeUndefined();
  });

  it("coalesces a burst of 1,000 writes into a few index passes", async () => {
    await recall.settle();
    const before = recall.indexer.passes;
    mkdirSync(join(ws.dir, "burst"), { recursive: true });
    for (let i = 0; i < 1000; i++)
      writeFileSync(join(ws.dir, "burst", `f${i}.txt`), `burst file number ${i} axolotl${i}\n`);
    await until(async () => recall.store.filesUnder("burst").length === 1000, 30_000);
    await recall.settle();
    const passes = recall.indexer.passes - before;
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(passes).toBeLessThanOrEqual(10);
    expect((await recall.search("axolotl999")).hits[0].path).toBe("burst/f999.txt");
  });

  it("accepts triggers: paths and an empty line for a rescan", async () => {
    await recall.unwatch();
    writeFileSync(join(ws.dir, "src/late.ts"), "export const manateeFlag = () => true;\n");
    await recall.trigger(["src/late.ts"]);
    expect(await found(recall, "manateeFlag", "src/late.ts")()).toBe(true);
    rmSync(join(ws.dir, "src/late.ts"));
    await recall.trigger([]);
    expect(await found(recall, "manateeFlag", "src/late.ts")()).toBe(false);
  });
});
