import * as fs from "node:fs";
import * as path from "node:path";
import {
  CHECKPOINT_FILE,
  canonicalJson,
  createVerifier,
  entryHash,
  GENESIS_HASH,
  type JournalCheckpoint,
  type JournalEntry,
  type JournalSeal,
  recordHash,
  SEALS_DIR,
  sealRecordName,
  sha256Hex,
} from "@ostk/lib";
import { journalFiles } from "./read.js";

export interface VerifyResult {
  ok: boolean;
  entries: number;
  epochs: number;
  lastSeq: number;
  headHash: string;
  /** First entry that fails, when not ok. */
  firstBadSeq?: number;
  reason?: string;
  checkpoint?: { seq: number; ok: boolean };
}

/**
 * Verify the whole journal: canonical lines, contiguous seq, hash chain, Ed25519 signatures by a
 * trusted key, seal records, and the signed checkpoint (which detects a cut tail).
 * (Kept behind this one function so it can be swapped for @ostk/lib's verifyJournal.)
 */
export function verifyJournalDir(stateDir: string, trustedKeys: string[]): VerifyResult {
  const verifier = createVerifier(trustedKeys);
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let entries = 0;
  const files = journalFiles(stateDir);
  const fail = (seq: number, reason: string): VerifyResult => ({
    ok: false,
    entries,
    epochs: files.length - 1,
    lastSeq: expectSeq - 1,
    headHash: prev,
    firstBadSeq: seq,
    reason,
  });
  const ends = new Map<string, { seq: number; offset: number; hash: string }[]>();
  for (const { epoch, file } of files) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      if (epoch === 0) bytes = Buffer.alloc(0);
      else return fail(expectSeq, `sealed epoch ${epoch} file is missing`);
    }
    const positions: { seq: number; offset: number; hash: string }[] = [];
    ends.set(String(epoch), positions);
    let start = 0;
    while (start < bytes.length) {
      const nl = bytes.indexOf(0x0a, start);
      if (nl < 0) return fail(expectSeq, "journal ends with a torn (unterminated) line");
      const line = bytes.subarray(start, nl).toString("utf8");
      start = nl + 1;
      let e: JournalEntry;
      try {
        e = JSON.parse(line);
      } catch {
        return fail(expectSeq, "line is not valid JSON");
      }
      if (e.seq !== expectSeq) {
        return fail(
          expectSeq,
          `expected seq ${expectSeq}, found ${e.seq} (entry deleted, reordered or inserted)`,
        );
      }
      if (canonicalJson(e) !== line) return fail(e.seq, "line is not in canonical form (edited)");
      if (e.prev_hash !== prev)
        return fail(e.seq, "prev_hash does not match the previous entry (chain broken)");
      const h = entryHash(e);
      if (!verifier.has(e.key_id)) return fail(e.seq, `signed by an untrusted key ${e.key_id}`);
      if (!verifier.verifyDigest(e.key_id, h, e.sig))
        return fail(e.seq, "signature does not verify (edited or forged)");
      prev = h;
      expectSeq++;
      entries++;
      positions.push({ seq: e.seq, offset: start, hash: h });
    }
    if (epoch > 0) {
      const sealPath = path.join(stateDir, SEALS_DIR, sealRecordName(epoch));
      let seal: JournalSeal;
      try {
        seal = JSON.parse(fs.readFileSync(sealPath, "utf8"));
      } catch {
        return fail(expectSeq, `seal record of epoch ${epoch} is missing or unreadable`);
      }
      if (!verifier.verifyDigest(seal.key_id, recordHash(seal), seal.sig))
        return fail(seal.last_seq, `seal of epoch ${epoch} has a bad signature`);
      if (seal.last_seq !== expectSeq - 1 || seal.head_hash !== prev)
        return fail(
          Math.min(seal.last_seq, expectSeq - 1) + 1,
          `epoch ${epoch} was cut: seal ends at seq ${seal.last_seq}`,
        );
      if (seal.file_sha256 !== sha256Hex(bytes))
        return fail(seal.first_seq, `epoch ${epoch} file hash differs from its seal`);
    }
  }
  const result: VerifyResult = {
    ok: true,
    entries,
    epochs: files.length - 1,
    lastSeq: expectSeq - 1,
    headHash: prev,
  };
  let cp: JournalCheckpoint | null = null;
  try {
    cp = JSON.parse(fs.readFileSync(path.join(stateDir, CHECKPOINT_FILE), "utf8"));
  } catch {
    cp = null;
  }
  if (cp) {
    if (!verifier.verifyDigest(cp.key_id, recordHash(cp), cp.sig)) {
      return {
        ...fail(cp.seq, "checkpoint signature does not verify"),
        checkpoint: { seq: cp.seq, ok: false },
      };
    }
    const positions = ends.get(String(cp.epoch)) ?? [];
    const at = positions.find((p) => p.seq === cp.seq);
    if (!at || at.offset !== cp.offset || at.hash !== cp.head_hash) {
      const bad = Math.min(cp.seq, expectSeq);
      return {
        ...fail(
          bad,
          `signed checkpoint names seq ${cp.seq}, but the journal no longer holds it as signed (tail truncated)`,
        ),
        checkpoint: { seq: cp.seq, ok: false },
      };
    }
    result.checkpoint = { seq: cp.seq, ok: true };
  }
  return result;
}
