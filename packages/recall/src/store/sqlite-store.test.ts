import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "./sqlite-store.js";

describe("index format upgrade", () => {
  it("an index of an older format is emptied with the cursors that described it; the kernel-follow cursor stays", () => {
    const dir = mkdtempSync(join(tmpdir(), "recall-store-"));
    try {
      const file = join(dir, "index.sqlite");
      const old = new SqliteStore(file);
      old.insertChunks([
        {
          id: "a",
          source: "code",
          path: "a.ts",
          startLine: 1,
          endLine: 2,
          symbol: "a",
          kind: "function",
          lang: "typescript",
          text: "a",
          ts: 1,
        },
      ]);
      old.setIngest("workspace", { lastScan: 1 });
      old.setIngest("journal-events", { lastSeq: 3 });
      old.setIngest("transcript:/x.jsonl", { offset: 10 });
      old.setIngest("journal", { dev: 1, ino: 2, offset: 3 });
      expect(old.ingestStates("transcript:")).toEqual([["transcript:/x.jsonl", { offset: 10 }]]);
      old.setMeta("schema_version", "3");
      old.close();
      const now = new SqliteStore(file);
      expect(now.counts().chunks).toBe(0);
      expect(now.getIngest("workspace")).toBeUndefined();
      expect(now.getIngest("journal-events")).toBeUndefined();
      expect(now.ingestStates("transcript:")).toEqual([]);
      expect(now.getIngest("journal")).toEqual({ dev: 1, ino: 2, offset: 3 });
      expect(now.getMeta("schema_version")).toBe("4");
      now.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
