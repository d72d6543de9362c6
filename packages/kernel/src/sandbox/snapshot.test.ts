import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diffSnapshots, type FileStat, snapshotTree } from "./snapshot.js";

describe("snapshotTree / diffSnapshots", () => {
  it("reports created, changed and deleted files, ignoring .ostk and .git", () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-snap-"));
    try {
      mkdirSync(join(ws, "src"));
      mkdirSync(join(ws, ".ostk"));
      writeFileSync(join(ws, "src/a.ts"), "a");
      writeFileSync(join(ws, "src/b.ts"), "b");
      writeFileSync(join(ws, "keep.txt"), "k");
      const before = snapshotTree(ws);
      writeFileSync(join(ws, "src/a.ts"), "aa");
      unlinkSync(join(ws, "src/b.ts"));
      writeFileSync(join(ws, "new.txt"), "n");
      writeFileSync(join(ws, ".ostk/journal.jsonl"), "j");
      utimesSync(join(ws, "keep.txt"), new Date(1000), new Date(1000));
      const d = diffSnapshots(before, snapshotTree(ws));
      expect(d).toEqual({ changed: ["keep.txt", "src/a.ts"], created: ["new.txt"], deleted: ["src/b.ts"] });
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it("catches a same-size rewrite that kept the timestamps (coarse clocks) by content", () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-snap-"));
    try {
      writeFileSync(join(ws, "f.txt"), "before");
      const before = snapshotTree(ws);
      expect(before.files.get("f.txt")?.hash).toBeDefined(); // just written: racy, so hashed
      writeFileSync(join(ws, "f.txt"), "after!");
      const after = snapshotTree(ws);
      // simulate a filesystem clock that did not tick between the two writes
      const same: FileStat = { ...before.files.get("f.txt")!, hash: after.files.get("f.txt")!.hash };
      after.files.set("f.txt", same);
      expect(diffSnapshots(before, after).changed).toEqual(["f.txt"]);
      const unchanged = snapshotTree(ws);
      expect(diffSnapshots(unchanged, snapshotTree(ws)).changed).toEqual([]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
