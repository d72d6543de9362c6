import * as fs from "node:fs";
import * as path from "node:path";
import { type JournalEntry, sha256Hex } from "@ostk/lib";
import { readEntries } from "../journal/read.js";
import type { KernelCore } from "./kernel-core.js";
import { KERNEL_ACTOR } from "./types.js";

export interface RecoveredIntent {
  seq: number;
  path?: string;
  op: string;
  outcome: "rolled-forward" | "rolled-back";
  reason: string;
}

function hashOf(abs: string): string | null {
  try {
    const st = fs.lstatSync(abs);
    if (!st.isFile()) return null;
    return sha256Hex(fs.readFileSync(abs));
  } catch {
    return null;
  }
}

/**
 * Finish or roll back every `fs.intent` without an `fs.commit`/`fs.abort`, deterministically:
 * - an intent followed by a later intent on the same path completed (the kernel holds the path's
 *   lock from intent to commit), so it is rolled forward;
 * - otherwise the disk decides: target already at `hash_after` → rolled forward; still at
 *   `hash_before` → rolled back (its temp file is removed);
 * - anything else (the file was changed again outside the kernel) → rolled back, and the next
 *   observation journals the external change.
 * Every outcome is journaled as fs.commit / fs.abort with `data.recovered = true`.
 */
export async function recoverIntents(core: KernelCore): Promise<RecoveredIntent[]> {
  const open = new Map<number, JournalEntry>();
  const lastByPath = new Map<string, number>();
  for (const e of readEntries(core.ws.stateDir)) {
    if (e.event === "fs.intent") {
      open.set(e.seq, e);
      for (const p of [e.path, e.data?.to as string | undefined]) if (p) lastByPath.set(p, e.seq);
    } else if ((e.event === "fs.commit" || e.event === "fs.abort") && typeof e.data?.intent === "number")
      open.delete(e.data.intent);
  }
  if (open.size === 0) return [];
  const intents = [...open.values()].sort((a, b) => a.seq - b.seq);
  const out: RecoveredIntent[] = [];
  for (const e of intents) {
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
      const fromNow = hashOf(abs);
      const toNow = hashOf(path.join(core.ws.root, to));
      forward = fromNow === null && toNow === e.hash_before;
      reason = forward ? "destination holds the moved content" : "source still in place";
    } else {
      const now = hashOf(abs);
      if (now === (e.hash_after ?? null)) {
        forward = true;
        reason = "target already holds the new content";
      } else {
        forward = false;
        reason =
          now === (e.hash_before ?? null)
            ? "target still holds the old content"
            : "target changed outside the kernel";
      }
    }
    // A temp file still present was never renamed into place: garbage either way.
    if (typeof e.data?.tmp === "string") {
      fs.rmSync(path.join(core.ws.root, e.data.tmp), { force: true });
    }
    const actor = e.actor ?? KERNEL_ACTOR;
    if (forward) {
      const size = op === "delete" ? 0 : Number(e.data?.size ?? 0);
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
          size,
          ...(to ? { to, to_gen_before: e.data?.to_gen_before, to_gen_after: e.data?.to_gen_after } : {}),
        },
      });
      core.gens.apply(entry);
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
  await core.journal.flush();
  return out;
}
