import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalJson, createSigner, entryHash, generateSeed, type JournalEntry } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { tmpWorkspace } from "../../test/helpers/tmp.js";
import { KernelCore } from "../core/kernel-core.js";
import { fsWrite } from "../syscalls/file-ops.js";
import { verifyJournalDir } from "./verify.js";

const ctx = { actor: { id: "writer", kind: "agent" as const } };

async function journalWith(
  dir: string,
  signer: ReturnType<typeof createSigner>,
  writes: number,
  rotateBytes?: number,
) {
  const core = await KernelCore.open({ workspace: dir, signer, rotateBytes });
  for (let i = 0; i < writes; i++) await fsWrite(core, ctx, { path: `f${i % 3}.txt`, content: `v${i}\n` });
  await core.close();
  return path.join(dir, ".ostk");
}

const linesOf = (f: string) => fs.readFileSync(f, "utf8").trimEnd().split("\n");
const writeLines = (f: string, lines: string[]) => fs.writeFileSync(f, `${lines.join("\n")}\n`);

describe("verifyJournalDir detects tampering with the first bad seq", () => {
  it("accepts an untouched journal with its checkpoint", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    expect(await verifyJournalDir(state, [t.pub])).toMatchObject({
      ok: true,
      entries: 10,
      checkpoint: { seq: 10, ok: true },
    });
  });

  it("an edited entry", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    const f = path.join(state, "journal.jsonl");
    const lines = linesOf(f);
    const e = JSON.parse(lines[4]) as JournalEntry;
    e.actor.id = "someone-else";
    lines[4] = canonicalJson(e);
    writeLines(f, lines);
    expect(await verifyJournalDir(state, [t.pub])).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it("a deleted entry", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    const f = path.join(state, "journal.jsonl");
    const lines = linesOf(f);
    lines.splice(3, 1);
    writeLines(f, lines);
    expect(await verifyJournalDir(state, [t.pub])).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it("reordered entries", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    const f = path.join(state, "journal.jsonl");
    const lines = linesOf(f);
    [lines[5], lines[6]] = [lines[6], lines[5]];
    writeLines(f, lines);
    expect(await verifyJournalDir(state, [t.pub])).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it("a forged entry: re-chained and re-signed with another key", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    const f = path.join(state, "journal.jsonl");
    const lines = linesOf(f);
    const forger = createSigner(generateSeed());
    const e = JSON.parse(lines[6]) as JournalEntry;
    const { sig: _s, key_id: _k, ...body } = e;
    const forged = forger.signEntry({ ...body, path: "evil.txt", key_id: forger.keyId });
    lines[6] = canonicalJson(forged);
    writeLines(f, lines);
    const r = await verifyJournalDir(state, [t.pub]);
    expect(r).toMatchObject({ ok: false, firstBadSeq: 7 });
    expect(r.reason).toMatch(/unknown key|untrusted key/);
    // The forger's key, even if trusted, cannot hide the change: the next entry's prev_hash breaks.
    expect(entryHash(forged)).not.toBe(JSON.parse(lines[7]).prev_hash);
  });

  it("a truncated tail (cut entries) via the signed checkpoint", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 5);
    const f = path.join(state, "journal.jsonl");
    writeLines(f, linesOf(f).slice(0, 7));
    const r = await verifyJournalDir(state, [t.pub]);
    expect(r).toMatchObject({ ok: false, firstBadSeq: 8, checkpoint: { seq: 10, ok: false } });
    expect(r.reason).toMatch(/missing|truncated|cut/);
  });

  it("verifies across sealed epochs and catches an edit inside a sealed epoch", async () => {
    await using t = tmpWorkspace();
    const state = await journalWith(t.dir, t.signer, 30, 2000);
    const seals = fs.readdirSync(path.join(state, "journal-seals")).filter((n) => n.endsWith(".jsonl"));
    expect(seals.length).toBeGreaterThan(1);
    expect(await verifyJournalDir(state, [t.pub])).toMatchObject({ ok: true, entries: 60 });
    const first = path.join(state, "journal-seals", seals[0]);
    const lines = linesOf(first);
    lines[1] = lines[1].replace('"writer"', '"wr1ter"');
    writeLines(first, lines);
    // The sealed file no longer matches its signed seal: reported at the epoch's first entry at the latest.
    const r = await verifyJournalDir(state, [t.pub]);
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBeLessThanOrEqual(2);
  });
});
