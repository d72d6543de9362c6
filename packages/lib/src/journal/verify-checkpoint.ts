import { canonicalJson } from "./canonical.js";
import { entryHash, type JournalCheckpoint, type JournalEntry, recordHash } from "./entry.js";
import { type GpgOptions, verifyGpgDetached } from "./gpg.js";
import type { Verifier } from "./sign.js";
import type { FirstBad, JournalSegment, VerifyJournalResult } from "./verify.js";

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Checks a signed checkpoint against verified segments: its signature (and GPG
 * signature), that the journal reaches its seq, and that the entry there has
 * the signed hash and ends at the signed byte offset. Updates `res` in place.
 */
export function checkCheckpoint(
  res: VerifyJournalResult,
  cp: JournalCheckpoint,
  segments: JournalSegment[],
  v: Verifier,
  gpg: GpgOptions | undefined,
): void {
  const out: NonNullable<VerifyJournalResult["checkpoint"]> = { ok: false, seq: cp.seq };
  res.checkpoint = out;
  const bad = (reason: string, firstBad?: FirstBad) => {
    out.reason = reason;
    res.ok = false;
    if (firstBad && (!res.first_bad || firstBad.seq < res.first_bad.seq)) res.first_bad = firstBad;
  };
  if (!v.has(cp.key_id) || !v.verifyDigest(cp.key_id, recordHash(cp), cp.sig)) {
    bad("the checkpoint's signature is invalid or from an unknown key");
    return;
  }
  if (cp.gpg_sig) {
    const { sig: _s, gpg_sig: _g, ...body } = cp;
    out.gpg = verifyGpgDetached(canonicalJson(body), cp.gpg_sig, gpg);
    if (out.gpg.status === "failed") {
      bad(out.gpg.reason);
      return;
    }
    if (out.gpg.status === "unavailable") res.notes.push(out.gpg.reason);
  }
  if (res.first_bad && res.first_bad.seq <= cp.seq) {
    out.reason = "the journal fails verification before the checkpoint";
    return;
  }
  const lastSeg = segments[segments.length - 1];
  if (res.head_seq < cp.seq) {
    bad(`tail cut: the checkpoint covers seq ${cp.seq}, but the journal ends at seq ${res.head_seq}`, {
      seq: res.head_seq + 1,
      line: (lastSeg?.lines.length ?? 0) + 1,
      file: lastSeg?.file,
      epoch: lastSeg?.epoch,
      reason: `entry ${res.head_seq + 1} is missing: the tail of the journal was cut (checkpoint at seq ${cp.seq})`,
    });
    return;
  }
  // The checkpoint names the epoch it was taken in; after a rotation the same bytes live in a sealed file.
  const ordered = [...segments].sort((a, b) => (a.epoch === cp.epoch ? -1 : b.epoch === cp.epoch ? 1 : 0));
  for (const seg of ordered) {
    let offset = 0;
    for (let i = 0; i < seg.lines.length; i++) {
      offset += utf8Length(seg.lines[i]) + 1;
      const e = JSON.parse(seg.lines[i]) as JournalEntry;
      if (e.seq !== cp.seq) continue;
      if (entryHash(e) !== cp.head_hash) {
        bad(`entry ${cp.seq} differs from the one the checkpoint signed`, {
          seq: cp.seq,
          line: i + 1,
          file: seg.file,
          epoch: seg.epoch,
          reason: "the entry differs from the checkpoint's head_hash",
        });
      } else if (offset !== cp.offset) {
        bad(
          `entry ${cp.seq} ends at byte ${offset}, the checkpoint says ${cp.offset} (bytes were inserted or removed before it)`,
        );
      } else out.ok = true;
      return;
    }
  }
  bad(`entry ${cp.seq} is not in the journal`);
}
