import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalJson, entryHash, entryLine, GENESIS_HASH, type JournalEntry } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { tmpWorkspace } from "../../test/helpers/tmp.js";
import { canonicalForms, Journal } from "./journal.js";
import { verifyJournalDir } from "./verify.js";

const SIG = "ab".repeat(64);

describe("canonicalForms gives exactly the canonical body and line from one pass", () => {
  const bodies: Record<string, unknown>[] = [
    {
      v: 1,
      seq: 1,
      ts: 5,
      event: "fs.intent",
      actor: { id: "a", kind: "agent" },
      prev_hash: GENESIS_HASH,
      key_id: "k",
    },
    {
      v: 1,
      seq: 9,
      ts: 1.5,
      event: "fs.commit",
      actor: { id: 'é\u2028"quote', kind: "mcp", session: "s" },
      trace: "t".repeat(32),
      path: "dir/ü.txt",
      gen_before: 0,
      gen_after: 1,
      hash_before: null,
      hash_after: "f".repeat(64),
      data: {
        op: "write",
        size: 3,
        content_b64: "YWJj",
        nested: { z: [1, null, "x"], a: true, u: undefined },
      },
      prev_hash: "1".repeat(64),
      key_id: "0123456789abcdef",
    },
    { sa: 1, sz: 2, a: undefined, zz: "last" },
    { zeta: 1 },
    { alpha: 1 },
    {},
  ];
  it.each(bodies.map((b, i) => [i, b]))("body %i", (_i, body) => {
    const forms = canonicalForms(body as Record<string, unknown>);
    expect(forms.body).toBe(canonicalJson(body));
    expect(forms.line(SIG)).toBe(canonicalJson({ ...(body as object), sig: SIG }));
  });
});

describe("Journal.append", () => {
  it("writes each entry as its canonical line, chained to the previous entry's body hash, and the result verifies", async () => {
    await using t = tmpWorkspace();
    const stateDir = path.join(t.dir, ".ostk");
    fs.mkdirSync(stateDir, { recursive: true });
    const j = Journal.open({ stateDir, signer: t.signer });
    const appended: JournalEntry[] = [];
    for (let i = 0; i < 5; i++)
      appended.push(
        j.append({
          event: i % 2 ? "fs.commit" : "fs.intent",
          actor: { id: "writer", kind: "agent" },
          path: `f${i}.txt`,
          hash_before: null,
          hash_after: undefined,
          data: { op: "write", i },
        }),
      );
    await j.close();
    const lines = fs.readFileSync(j.file, "utf8").trimEnd().split("\n");
    expect(lines).toEqual(appended.map((e) => entryLine(e)));
    for (let i = 1; i < appended.length; i++)
      expect(appended[i]!.prev_hash).toBe(entryHash(appended[i - 1]!));
    expect(j.headHash).toBe(entryHash(appended[appended.length - 1]!));
    expect(await verifyJournalDir(stateDir, [t.pub])).toMatchObject({ ok: true, entries: 5 });
  });

  it("a checkpoint signs the last durable entry's hash even when later entries are not durable yet", async () => {
    await using t = tmpWorkspace();
    const stateDir = path.join(t.dir, ".ostk");
    fs.mkdirSync(stateDir, { recursive: true });
    const j = Journal.open({ stateDir, signer: t.signer, checkpointEvery: 1_000_000 });
    const rec = (i: number) => j.append({ event: "note", actor: { id: "w", kind: "agent" }, data: { i } });
    const durable = [rec(1), rec(2), rec(3)];
    await j.flush();
    rec(4);
    rec(5);
    j.checkpoint();
    const cp = j.readCheckpoint()!;
    expect(cp.seq).toBe(3);
    expect(cp.head_hash).toBe(entryHash(durable[2]!));
    await j.close();
    expect(await verifyJournalDir(stateDir, [t.pub])).toMatchObject({ ok: true, entries: 5 });
  });
});
