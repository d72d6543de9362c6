import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AuditTailItem, auditTail, auditTailBatches, auditTailEach } from "../../src/tail/audit-tail.js";
import type { TailCursor } from "../../src/tail/tail-cursor.js";
import { tempDir } from "../helpers.js";
import { eventLine, RotatingWriter, type WriterOp } from "../journal-writer.js";

/** Collects seqs from the tailer until `n` arrived (or the timeout); `seqs` fills in live. */
function collect(path: string, n: number, opts: { cursor?: TailCursor; timeoutMs?: number } = {}) {
  const seqs: number[] = [];
  let last: AuditTailItem | undefined;
  const done = (async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 20_000);
    for await (const it of auditTail(path, { cursor: opts.cursor, signal: ac.signal, pollMs: 5 })) {
      seqs.push(it.entry?.seq ?? -1);
      last = it;
      if (seqs.length >= n) break;
    }
    clearTimeout(timer);
    return { seqs, last };
  })();
  return { seqs, done };
}

/**
 * Replacing a file deletes its inode, and a copy-truncate of a file the tailer has not read from
 * cannot be told apart from a fresh file: before those, the writer lets the tailer catch up, as
 * a daemon does not replace its journal under a reader that never opened it.
 */
async function caughtUp(seqs: number[], want: number): Promise<void> {
  for (let i = 0; i < 5000 && seqs.length < want; i++) await new Promise((r) => setTimeout(r, 2));
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Runs writer ops, yielding now and then so the tailer interleaves with them. */
async function runWriter(w: RotatingWriter, ops: WriterOp[], every: number, seqs: number[]): Promise<void> {
  for (let i = 0; i < ops.length; i++) {
    if (ops[i].op === "replace" || ops[i].op === "copytruncate") await caughtUp(seqs, w.seq);
    w.apply(ops[i]);
    if (i % every === every - 1) await new Promise((r) => setImmediate(r));
  }
  w.close();
}

describe("auditTail", () => {
  it("follows 100,000 events across rename rotation every 5,000, one copy-truncate and one replacement", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "journal.jsonl");
    const w = new RotatingWriter(path);
    const ops: WriterOp[] = [];
    let seq = 0;
    while (seq < 100_000) {
      const n = 250;
      ops.push({ op: "append", count: n, split: seq % 1000 === 0 });
      seq += n;
      if (seq === 42_500) ops.push({ op: "copytruncate" });
      if (seq === 77_250) {
        ops.push({ op: "replace", count: 250 });
        seq += 250;
      }
      if (seq % 5000 === 0 && seq < 100_000) ops.push({ op: "rename" });
    }
    expect(seq).toBe(100_000);
    const reading = collect(path, 100_000, { timeoutMs: 60_000 });
    await runWriter(w, ops, 4, reading.seqs);
    const { seqs } = await reading.done;
    expect(seqs.length).toBe(100_000);
    // Exactly 1..100000, in order: nothing dropped, nothing duplicated.
    let bad = -1;
    for (let i = 0; i < seqs.length; i++)
      if (seqs[i] !== i + 1) {
        bad = i;
        break;
      }
    expect(bad, `first mismatch at index ${bad}: got ${seqs[bad]}`).toBe(-1);
  }, 90_000);

  it("waits for a file that does not exist yet and for the newline of a partial last line", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "later.jsonl");
    const got: number[] = [];
    const h = auditTailEach(
      path,
      (it) => {
        got.push(it.entry?.seq ?? -1);
      },
      { pollMs: 5 },
    );
    await new Promise((r) => setTimeout(r, 30));
    const line = eventLine(1);
    writeFileSync(path, line.slice(0, 50));
    await new Promise((r) => setTimeout(r, 40));
    expect(got).toEqual([]); // partial line is not delivered
    await appendFile(path, line.slice(50) + eventLine(2));
    for (let i = 0; i < 1000 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([1, 2]);
    await h.stop();
  });

  it("resumes from a saved cursor, also after the file was rotated away meanwhile", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "journal.jsonl");
    const w = new RotatingWriter(path);
    w.apply({ op: "append", count: 10 });
    const first = await collect(path, 4).done;
    expect(first.seqs).toEqual([1, 2, 3, 4]);
    // Same file: continue after 4.
    const again = await collect(path, 6, { cursor: first.last?.cursor }).done;
    expect(again.seqs).toEqual(range(5, 10));
    // Rotate, write more: the cursor's file is found under its new name and drained first.
    w.apply({ op: "rename" });
    w.apply({ op: "append", count: 5 });
    const after = await collect(path, 11, { cursor: first.last?.cursor }).done;
    expect(after.seqs).toEqual(range(5, 15));
    w.close();
  });

  it("follows the kernel's rotation into journal-seals/epoch-N.jsonl", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "journal.jsonl");
    const seals = join(tmp.dir, "journal-seals");
    mkdirSync(seals);
    writeFileSync(path, eventLine(1) + eventLine(2));
    const reading = collect(path, 6);
    await caughtUp(reading.seqs, 2);
    // Rotation while the tailer waits: two epochs sealed back to back, then a new live file.
    appendFileSync(path, eventLine(3));
    renameSync(path, join(seals, "epoch-000001.jsonl"));
    writeFileSync(path, eventLine(4));
    renameSync(path, join(seals, "epoch-000002.jsonl"));
    writeFileSync(path, eventLine(5) + eventLine(6));
    expect((await reading.done).seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads non-JSON lines with entry null and stops at EOF without follow", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "mixed.jsonl");
    writeFileSync(path, `not json\n${eventLine(1)}{"a":1}\npartial`);
    const items: AuditTailItem[] = [];
    for await (const it of auditTail(path, { follow: false })) items.push(it);
    expect(items.map((i) => i.entry?.seq ?? null)).toEqual([null, 1, null]);
    expect(items[0].line).toBe("not json");
    expect(items[2].cursor.offset).toBe(`not json\n${eventLine(1)}{"a":1}\n`.length);
    const batched: AuditTailItem[] = [];
    for await (const batch of auditTailBatches(path, { follow: false })) batched.push(...batch);
    expect(batched).toEqual(items);
  });

  it("property: any mix of appends, renames, copy-truncates and replacements yields the exact sequence", async () => {
    const op: fc.Arbitrary<WriterOp> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant("append" as const),
          count: fc.integer({ min: 1, max: 40 }),
          split: fc.boolean(),
        }),
      },
      { weight: 2, arbitrary: fc.constant({ op: "rename" as const }) },
      { weight: 1, arbitrary: fc.constant({ op: "copytruncate" as const }) },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant("replace" as const), count: fc.integer({ min: 1, max: 20 }) }),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, every) => {
          using tmp = tempDir();
          const path = join(tmp.dir, "journal.jsonl");
          const w = new RotatingWriter(path);
          const total = ops.reduce((n, o) => n + (o.op === "append" || o.op === "replace" ? o.count : 0), 0);
          if (total === 0) return;
          // The tailer starts before the file exists, as a follower started with the daemon would.
          const reading = collect(path, total, { timeoutMs: 15_000 });
          await runWriter(w, ops, every, reading.seqs);
          const { seqs } = await reading.done;
          expect(seqs).toEqual(range(1, total));
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
