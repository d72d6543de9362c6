import * as fs from "node:fs";
import * as path from "node:path";
import { type JournalEntry, sha256Hex } from "@ostk/lib";
import { readEntries } from "../journal/read.js";
import { atomicWriteFile } from "../util/durable.js";
import type { KernelCore } from "./kernel-core.js";
import { APPLIED_FILE, KERNEL_ACTOR } from "./types.js";

export interface RecoveredIntent {
  seq: number;
  path?: string;
  op: string;
  outcome: "rolled-forward" | "rolled-back" | "redone";
  reason: string;
}

interface DiskState {
  hash: string | null;
  size: number;
}

function diskState(abs: string): DiskState {
  try {
    const st = fs.lstatSync(abs);
    if (!st.isFile()) return { hash: null, size: 0 };
    return { hash: sha256Hex(fs.readFileSync(abs)), size: st.size };
  } catch {
    return { hash: null, size: 0 };
  }
}

function readWatermark(core: KernelCore): number {
  try {
    return Number(JSON.parse(fs.readFileSync(path.join(core.ws.stateDir, APPLIED_FILE), "utf8")).seq) || 0;
  } catch {
    return 0;
  }
}

/** Write content durably (temp, fsync, rename, fsync dir). */
async function durableWrite(abs: string, content: Buffer): Promise<void> {
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  await atomicWriteFile(abs, content);
}

function durableUnlink(abs: string): void {
  fs.rmSync(abs, { force: true });
  const fd = fs.openSync(path.dirname(abs), "r");
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

/**
 * Make the workspace equal the journal's committed state after a crash, deterministically.
 *
 * 1. Every `fs.intent` without `fs.commit`/`fs.abort`:
 *    - followed by a later intent on the same path → it was applied (the path's lock is held from
 *      intent to commit) → rolled forward;
 *    - target already at `hash_after` → rolled forward;
 *    - content carried in the intent and the target still at `hash_before` (or absent, or empty from a
 *      lost write) → applied now, durably, and rolled forward (its caller may have been told it
 *      succeeded: the reply does not wait for the commit's fsync);
 *    - otherwise (no content to redo, or the file was changed outside the kernel) → rolled back, its
 *      temp file removed; the next observation journals any outside change.
 * 2. Every kernel commit after the applied watermark (`.ostk/applied.json`) whose effect may not have
 *    reached the disk: if the path holds an older state the kernel produced (or is missing/empty), the
 *    committed state is written again (`fs.redo`); a state the kernel never produced is left alone.
 * Every outcome is journaled (`data.recovered = true`).
 */
export async function recoverIntents(core: KernelCore): Promise<RecoveredIntent[]> {
  const watermark = readWatermark(core);
  const open = new Map<number, JournalEntry>();
  const intents = new Map<number, JournalEntry>();
  const lastByPath = new Map<string, number>();
  const commitsAfter: JournalEntry[] = [];
  for (const e of readEntries(core.ws.stateDir)) {
    if (e.event === "fs.intent") {
      open.set(e.seq, e);
      if (e.seq > watermark || e.data?.content_b64) intents.set(e.seq, e);
      for (const p of [e.path, e.data?.to as string | undefined]) if (p) lastByPath.set(p, e.seq);
    } else if ((e.event === "fs.commit" || e.event === "fs.abort") && typeof e.data?.intent === "number") {
      open.delete(e.data.intent);
      if (e.event === "fs.commit" && e.seq > watermark) commitsAfter.push(e);
    }
  }
  const out: RecoveredIntent[] = [];
  const contentOf = async (
    intentSeq: number | undefined,
    hash: string | null | undefined,
  ): Promise<Buffer | null> => {
    const i = intentSeq !== undefined ? intents.get(intentSeq) : undefined;
    if (typeof i?.data?.content_b64 === "string") {
      const buf = Buffer.from(i.data.content_b64, "base64");
      if (!hash || sha256Hex(buf) === hash) return buf;
    }
    return hash ? core.objects.get(hash) : null;
  };

  for (const e of [...open.values()].sort((a, b) => a.seq - b.seq)) {
    const op = String(e.data?.op ?? "write");
    const rel = e.path ?? "";
    const abs = path.join(core.ws.root, rel);
    const to = typeof e.data?.to === "string" ? e.data.to : undefined;
    const superseded = lastByPath.get(rel) !== e.seq || (to !== undefined && lastByPath.get(to) !== e.seq);
    let forward: boolean;
    let reason: string;
    if (superseded) {
      forward = true;
      reason = "a later intent on the same path proves it was applied";
    } else if (op === "move" && to) {
      const fromNow = diskState(abs).hash;
      const toNow = diskState(path.join(core.ws.root, to)).hash;
      forward = fromNow === null && toNow === e.hash_before;
      reason = forward ? "destination holds the moved content" : "source still in place";
    } else if (op === "delete") {
      const now = diskState(abs).hash;
      forward = now === null;
      reason = forward ? "target already deleted" : "target still present";
    } else {
      const now = diskState(abs);
      if (now.hash === (e.hash_after ?? null)) {
        forward = true;
        reason = "target already holds the new content";
      } else {
        const redoable = now.hash === (e.hash_before ?? null) || now.hash === null || now.size === 0;
        const content = redoable ? await contentOf(e.seq, e.hash_after) : null;
        if (content) {
          await durableWrite(abs, content);
          forward = true;
          reason = "applied from the content carried in the intent";
        } else {
          forward = false;
          reason = redoable ? "target still holds the old content" : "target changed outside the kernel";
        }
      }
    }
    // A temp file still present is garbage either way: never put in place, or (after an exchange) the old content.
    if (typeof e.data?.tmp === "string") fs.rmSync(path.join(core.ws.root, e.data.tmp), { force: true });
    const actor = e.actor ?? KERNEL_ACTOR;
    if (forward) {
      const entry = core.journal.append({
        event: "fs.commit",
        actor,
        trace: e.trace,
        path: e.path,
        gen_before: e.gen_before,
        gen_after: e.gen_after,
        hash_before: e.hash_before,
        hash_after: op === "move" ? e.hash_before : e.hash_after,
        data: {
          op,
          intent: e.seq,
          recovered: true,
          size: op === "delete" ? 0 : Number(e.data?.size ?? 0),
          ...(to ? { to, to_gen_before: e.data?.to_gen_before, to_gen_after: e.data?.to_gen_after } : {}),
        },
      });
      core.gens.apply(entry);
      commitsAfter.push(entry); // the state step 2 must keep, not one to redo over
    } else {
      core.journal.append({
        event: "fs.abort",
        actor,
        trace: e.trace,
        path: e.path,
        data: { intent: e.seq, recovered: true, reason },
      });
    }
    out.push({ seq: e.seq, path: e.path, op, outcome: forward ? "rolled-forward" : "rolled-back", reason });
  }

  // 2. Redo commits after the watermark whose effect did not reach the disk.
  const expected = new Map<
    string,
    { hash: string | null; intent?: number; seq: number; known: Set<string | null> }
  >();
  const KERNEL_OPS = new Set(["write", "edit", "delete", "move"]);
  for (const c of commitsAfter) {
    const op = String(c.data?.op ?? "");
    if (!KERNEL_OPS.has(op) || !c.path) continue;
    const intent = typeof c.data?.intent === "number" ? c.data.intent : undefined;
    const note = (p: string, hash: string | null, before: string | null) => {
      const cur = expected.get(p) ?? { hash: before, seq: 0, known: new Set<string | null>([before]) };
      cur.known.add(cur.hash);
      cur.known.add(hash);
      expected.set(p, { hash, intent, seq: c.seq, known: cur.known });
    };
    if (op === "move" && typeof c.data?.to === "string") {
      note(c.path, null, c.hash_before ?? null);
      note(c.data.to, c.hash_before ?? null, (c.data.to_hash_before as string | null | undefined) ?? null);
    } else note(c.path, c.hash_after ?? null, c.hash_before ?? null);
  }
  for (const [rel, want] of expected) {
    const abs = path.join(core.ws.root, rel);
    const now = diskState(abs);
    if (now.hash === want.hash) continue;
    const stale = want.known.has(now.hash) || now.hash === null || now.size === 0;
    if (!stale) continue; // changed outside the kernel: observed and journaled as external later
    if (want.hash === null) durableUnlink(abs);
    else {
      const content = await contentOf(want.intent, want.hash);
      if (!content) continue;
      await durableWrite(abs, content);
    }
    core.journal.append({
      event: "fs.redo",
      actor: KERNEL_ACTOR,
      path: rel,
      hash_after: want.hash,
      data: { commit: want.seq, found: now.hash, recovered: true },
    });
    out.push({
      seq: want.seq,
      path: rel,
      op: "redo",
      outcome: "redone",
      reason: "committed state had not reached the disk",
    });
  }
  // Everything the journal now says is committed is on disk: fsync what may not be, then move the watermark.
  for (const rel of expected.keys()) {
    const abs = path.join(core.ws.root, rel);
    for (const p of [abs, path.dirname(abs)]) {
      try {
        const fd = fs.openSync(p, "r");
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      } catch {
        /* gone */
      }
    }
  }
  await core.journal.flush();
  await atomicWriteFile(
    path.join(core.ws.stateDir, APPLIED_FILE),
    `${JSON.stringify({ seq: core.journal.lastSeq })}\n`,
    0o600,
  );
  return out;
}
