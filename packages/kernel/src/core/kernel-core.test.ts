import * as fs from "node:fs";
import * as path from "node:path";
import { isRpcError, type OstkRpcError, sha256Hex } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { tmpWorkspace } from "../../test/helpers/tmp.js";
import { verifyJournalDir } from "../journal/verify.js";
import { fsDelete, fsEdit, fsMove, fsRead, fsWrite } from "../syscalls/file-ops.js";
import { KernelCore } from "./kernel-core.js";
import type { CallContext } from "./types.js";

const alice: CallContext = { actor: { id: "alice", kind: "agent" } };
const bob: CallContext = { actor: { id: "bob", kind: "agent" } };

async function rejects(p: Promise<unknown>): Promise<OstkRpcError> {
  try {
    await p;
  } catch (err) {
    if (isRpcError(err)) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("KernelCore", () => {
  it("writes through the WAL, reads back with generations, and the journal verifies", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    const w = await fsWrite(core, alice, { path: "src/a.txt", content: "hello\n" });
    expect(w.gen).toBe(1);
    expect(fs.readFileSync(path.join(t.dir, "src/a.txt"), "utf8")).toBe("hello\n");
    const r = await fsRead(core, bob, { path: "src/a.txt" });
    expect(r).toMatchObject({ content: "hello\n", gen: 1 });
    await fsMove(core, alice, { from: "src/a.txt", to: "b.txt" });
    await fsDelete(core, alice, { path: "b.txt" });
    expect(fs.existsSync(path.join(t.dir, "b.txt"))).toBe(false);
    await core.close();
    const v = await verifyJournalDir(path.join(t.dir, ".ostk"), [t.pub]);
    expect(v).toMatchObject({ ok: true, checkpoint: { ok: true } });
    const lines = fs
      .readFileSync(path.join(t.dir, ".ostk/journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.event}:${l.data?.op}`)).toEqual([
      "fs.intent:write",
      "fs.commit:write",
      "fs.intent:move",
      "fs.commit:move",
      "fs.intent:delete",
      "fs.commit:delete",
    ]);
    expect(lines[1].actor.id).toBe("alice");
  });

  it("refuses a stale write with RevisionConflict carrying the current generation", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    await fsWrite(core, alice, { path: "f.txt", content: "one\n" });
    await fsWrite(core, bob, { path: "f.txt", content: "two\n", expected_gen: 1 });
    const err = await rejects(fsWrite(core, alice, { path: "f.txt", content: "three\n", expected_gen: 1 }));
    expect(err.kind).toBe("RevisionConflict");
    expect(err.data).toMatchObject({ current_gen: 2, expected_gen: 1, writer: "bob" });
    await core.close();
  });

  it("merges an edit whose region was untouched, and refuses one that overlaps", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    await fsWrite(core, alice, { path: "m.txt", content: text });
    await fsEdit(core, bob, { path: "m.txt", old_str: "line 2\n", new_str: "LINE 2\n", expected_gen: 1 });
    const merged = await fsEdit(core, alice, {
      path: "m.txt",
      old_str: "line 20",
      new_str: "LINE 20",
      expected_gen: 1,
    });
    expect(merged).toMatchObject({ merged: true, gen: 3 });
    const err = await rejects(
      fsEdit(core, alice, { path: "m.txt", old_str: "line 21", new_str: "x", expected_gen: 2 }),
    );
    expect(err.kind).toBe("RevisionConflict");
    expect(fs.readFileSync(path.join(t.dir, "m.txt"), "utf8")).toContain("LINE 2\n");
    await core.close();
  });

  it("journals a change made outside the kernel and bumps the generation", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    await fsWrite(core, alice, { path: "e.txt", content: "mine\n" });
    fs.writeFileSync(path.join(t.dir, "e.txt"), "human edit\n");
    const r = await fsRead(core, alice, { path: "e.txt" });
    expect(r.gen).toBe(2);
    const err = await rejects(fsWrite(core, alice, { path: "e.txt", content: "x", expected_gen: 1 }));
    expect(err.data).toMatchObject({ current_gen: 2, writer: "external" });
    await core.close();
    const last = fs
      .readFileSync(path.join(t.dir, ".ostk/journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .pop();
    expect(last).toMatchObject({ event: "fs.commit", actor: { kind: "external" }, data: { op: "external" } });
  });

  it("sees every same-size in-place change, also once it trusts a still file's stamp instead of rehashing", async () => {
    await using t = tmpWorkspace();
    const racyMs = 40;
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer, racyMs });
    const file = path.join(t.dir, "s.txt");
    const gen = async () => (await fsRead(core, alice, { path: "s.txt" })).gen;
    await fsWrite(core, alice, { path: "s.txt", content: "aaaa\n" });
    // Right after the write: same size, same inode, and where the filesystem clock is coarse the same
    // ctime too. (On kernels with fine-grained timestamps the ctime moves anyway, so these first two
    // checks cannot tell a wrong racy window apart; the trusted-stamp checks below can.)
    fs.writeFileSync(file, "bbbb\n");
    expect(await gen()).toBe(2);
    fs.writeFileSync(file, "cccc\n"); // right after a read that could not trust the stamp yet
    expect(await gen()).toBe(3);
    await new Promise((r) => setTimeout(r, racyMs * 2));
    expect(await gen()).toBe(3); // hashed, and now trusted: the file was still for longer than racyMs
    expect(await gen()).toBe(3);
    fs.writeFileSync(file, "dddd\n");
    const r = await fsRead(core, alice, { path: "s.txt" });
    expect(r).toMatchObject({ gen: 4, content: "dddd\n", sha256: sha256Hex("dddd\n") });
    await core.close();
  });

  it("reads a file with a NUL byte in its first 8000 bytes as base64, byte for byte", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    const bin = Buffer.alloc(6000, 0x41);
    bin[4999] = 0;
    fs.writeFileSync(path.join(t.dir, "b.bin"), bin);
    const late = Buffer.alloc(9000, 0x41);
    late[8500] = 0; // past the first 8000 bytes: still text
    fs.writeFileSync(path.join(t.dir, "late.txt"), late);
    const r = await fsRead(core, alice, { path: "b.bin" });
    expect(r.encoding).toBe("base64");
    expect(Buffer.from(r.content, "base64").equals(bin)).toBe(true);
    expect((await fsRead(core, alice, { path: "late.txt" })).encoding).toBe("utf8");
    await core.close();
  });

  it("refuses paths outside the workspace and kernel state", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    fs.symlinkSync("/etc", path.join(t.dir, "esc"));
    expect((await rejects(fsRead(core, alice, { path: "../x" }))).kind).toBe("PathOutsideWorkspace");
    expect((await rejects(fsRead(core, alice, { path: "/etc/passwd" }))).kind).toBe("PathOutsideWorkspace");
    expect((await rejects(fsRead(core, alice, { path: "esc/passwd" }))).kind).toBe("PathOutsideWorkspace");
    expect((await rejects(fsWrite(core, alice, { path: "esc/new", content: "x" }))).kind).toBe(
      "PathOutsideWorkspace",
    );
    expect((await rejects(fsWrite(core, alice, { path: "a\0b", content: "x" }))).kind).toBe(
      "PathOutsideWorkspace",
    );
    expect((await rejects(fsWrite(core, alice, { path: ".ostk/journal.jsonl", content: "x" }))).kind).toBe(
      "ProtectedPath",
    );
    await core.close();
  });

  it("recovers an intent left without commit: rolled forward when applied, rolled back when not", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    await fsWrite(core, alice, { path: "r.txt", content: "v1\n" });
    // Simulate a crash after the intent: append an intent by hand and leave the file untouched.
    core.journal.append({
      event: "fs.intent",
      actor: alice.actor,
      path: "r.txt",
      gen_before: 1,
      gen_after: 2,
      hash_before: core.gens.get("r.txt")!.sha256,
      hash_after: "f".repeat(64),
      data: { op: "write", tmp: ".r.txt.ostk-tmp-abc" },
    });
    fs.writeFileSync(path.join(t.dir, ".r.txt.ostk-tmp-abc"), "partial");
    await core.journal.flush();
    await core.journal.close();
    const again = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    expect(fs.existsSync(path.join(t.dir, ".r.txt.ostk-tmp-abc"))).toBe(false);
    expect(again.gens.get("r.txt")!.gen).toBe(1);
    await again.close();
    expect((await verifyJournalDir(path.join(t.dir, ".ostk"), [t.pub])).ok).toBe(true);
  });

  it("redoes a committed write whose effect never reached the disk, and leaves an outside change alone", async () => {
    await using t = tmpWorkspace();
    let core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    await fsWrite(core, alice, { path: "a.txt", content: "v1\n" });
    await fsWrite(core, alice, { path: "a.txt", content: "v2\n" });
    await fsWrite(core, alice, { path: "b.txt", content: "mine\n" });
    await core.close();
    // As after a power cut: the watermark is behind, a.txt lost its last rename, b.txt was edited by a human.
    fs.writeFileSync(path.join(t.dir, ".ostk/applied.json"), '{"seq":0}\n');
    fs.writeFileSync(path.join(t.dir, "a.txt"), "v1\n");
    fs.writeFileSync(path.join(t.dir, "b.txt"), "human\n");
    core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    expect(fs.readFileSync(path.join(t.dir, "a.txt"), "utf8")).toBe("v2\n");
    expect(fs.readFileSync(path.join(t.dir, "b.txt"), "utf8")).toBe("human\n");
    await core.close();
    const events = fs
      .readFileSync(path.join(t.dir, ".ostk/journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === "fs.redo").map((e) => e.path)).toEqual(["a.txt"]);
    expect((await verifyJournalDir(path.join(t.dir, ".ostk"), [t.pub])).ok).toBe(true);
  });

  it("a rolled-forward intent is the final state even when its content repeats an older one (no redo over it)", async () => {
    await using t = tmpWorkspace();
    const core = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    await fsWrite(core, alice, { path: "r.txt", content: "X\n" });
    await fsWrite(core, alice, { path: "r.txt", content: "Y\n" });
    const row = core.gens.get("r.txt")!;
    // Crash right after the intent of a third write (back to "X") became durable.
    core.journal.append({
      event: "fs.intent",
      actor: alice.actor,
      path: "r.txt",
      gen_before: row.gen,
      gen_after: row.gen + 1,
      hash_before: row.sha256,
      hash_after: sha256Hex("X\n"),
      data: {
        op: "write",
        tmp: ".r.txt.ostk-tmp-zz",
        size: 2,
        content_b64: Buffer.from("X\n").toString("base64"),
      },
    });
    await core.journal.flush();
    await core.journal.close();
    fs.writeFileSync(path.join(t.dir, ".ostk/applied.json"), '{"seq":0}\n');
    const again = await KernelCore.open({ workspace: t.dir, signer: t.signer });
    expect(fs.readFileSync(path.join(t.dir, "r.txt"), "utf8")).toBe("X\n");
    expect(again.gens.get("r.txt")).toMatchObject({ gen: 3, sha256: sha256Hex("X\n") });
    await again.close();
  });
});
