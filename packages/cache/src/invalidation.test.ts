import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lib from "@ostk/lib";
import { afterEach, describe, expect, it } from "vitest";
import { changedPaths, followChanges } from "./invalidation";
import type { ChangeEvent, KernelLike } from "./lib-seam";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("changedPaths", () => {
  it("takes fs.commit paths, both ends of a move, and ignores other events", () => {
    expect(changedPaths({ event: "fs.commit", path: "a.ts", data: { op: "write" } })).toEqual(["a.ts"]);
    expect(changedPaths({ event: "fs.commit", path: "a.ts", data: { op: "move", to: "b.ts" } })).toEqual([
      "a.ts",
      "b.ts",
    ]);
    expect(changedPaths({ event: "tool.bash", path: "x" })).toEqual([]);
    expect(changedPaths(null)).toEqual([]);
  });
});

describe("followChanges", () => {
  it("feeds the kernel's committed changes to the callback", async () => {
    const entries: ChangeEvent[] = [
      { event: "fs.commit", path: "src/a.ts", data: { op: "edit" } },
      { event: "decision" },
      { event: "fs.commit", path: "src/b.ts", data: { op: "move", to: "src/c.ts" } },
    ];
    const kernel: KernelLike = {
      async *subscribe() {
        for (const e of entries) yield e;
        await new Promise((r) => setTimeout(r, 1000));
      },
      close() {},
    };
    const seen: string[][] = [];
    const f = await followChanges({ workspace: "/tmp", kernel, onChange: (p) => void seen.push(p) });
    expect(f.source).toBe("kernel");
    await new Promise((r) => setTimeout(r, 20));
    await f.stop();
    expect(seen).toEqual([["src/a.ts"], ["src/b.ts", "src/c.ts"]]);
  });

  const hasTail = typeof (lib as Record<string, unknown>).auditTail === "function";
  it.runIf(hasTail)("tails .ostk/journal.jsonl when no kernel runs", async () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-cache-journal-"));
    dirs.push(ws);
    mkdirSync(join(ws, ".ostk"));
    writeFileSync(join(ws, ".ostk", "journal.jsonl"), "");
    const seen: string[][] = [];
    const f = await followChanges({ workspace: ws, onChange: (p) => void seen.push(p) });
    expect(f.source).toBe("journal");
    const row = {
      v: 1,
      seq: 1,
      ts: new Date().toISOString(),
      event: "fs.commit",
      actor: { id: "t", kind: "agent" },
      path: "src/x.ts",
      data: { op: "write" },
      prev_hash: "0".repeat(64),
      key_id: "k",
      sig: "0".repeat(128),
    };
    appendFileSync(join(ws, ".ostk", "journal.jsonl"), `${JSON.stringify(row)}\n`);
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await f.stop();
    expect(seen).toEqual([["src/x.ts"]]);
  });
});
