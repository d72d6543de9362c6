import { maybeNodeModule } from "../util/node.js";
import { canonicalJson } from "./canonical.js";
import {
  CHECKPOINT_FILE,
  entryHash,
  GENESIS_HASH,
  JOURNAL_VERSION,
  type JournalCheckpoint,
  type JournalEntry,
  type JournalSeal,
  recordHash,
} from "./entry.js";
import type { GpgOptions, GpgStatus } from "./gpg.js";
import { readJournalSegments } from "./journal-segments.js";
import { createVerifier, type Ed25519Backend, type Verifier } from "./sign.js";
import { checkCheckpoint } from "./verify-checkpoint.js";

/** One file's worth of journal lines: a sealed epoch (with its seal) or the live journal (epoch 0). */
export interface JournalSegment {
  epoch: number;
  file: string;
  lines: string[];
  /** Raw bytes' sha256, checked against the seal. */
  sha256?: string;
  seal?: JournalSeal;
}

export interface VerifyJournalOptions {
  /** Trusted Ed25519 public keys (hex or bytes) or a ready Verifier. */
  keys: Iterable<string | Uint8Array> | Verifier;
  /** A checkpoint object, a path to one, or null to skip. Default: `journal.checkpoint` beside the journal. */
  checkpoint?: JournalCheckpoint | string | null;
  /** Directory of sealed epochs. Default: `journal-seals` beside the journal. */
  sealsDir?: string | null;
  backend?: Ed25519Backend;
  /** Check a checkpoint's `gpg_sig` with this gpg setup. */
  gpg?: GpgOptions;
}

export interface FirstBad {
  seq: number;
  /** 1-based line number in `file`. */
  line: number;
  file?: string;
  epoch?: number;
  reason: string;
}

export interface VerifyJournalResult {
  ok: boolean;
  /** Entries that verified (up to the first bad one). */
  entries: number;
  head_seq: number;
  head_hash: string;
  epochs: number;
  first_bad?: FirstBad;
  checkpoint?: { ok: boolean; seq: number; gpg?: GpgStatus; reason?: string };
  /** Things that are not failures but worth knowing (e.g. no checkpoint, so a cut tail is undetectable). */
  notes: string[];
}

/**
 * Verifies a journal: canonical bytes, seq continuity, the prev_hash chain,
 * Ed25519 signatures, sealed epochs in order (seal signature, file hash, seq
 * range, head hash) and the signed checkpoint (which detects a cut tail).
 * Reports the first bad entry and why. Runs anywhere when given lines; reading
 * files and GPG need Node.
 */
export { readJournalSegments };

export async function verifyJournal(
  pathOrLines: string | string[] | JournalSegment[],
  opts: VerifyJournalOptions,
): Promise<VerifyJournalResult> {
  let segments: JournalSegment[];
  let checkpoint: JournalCheckpoint | null = null;
  const notes: string[] = [];
  if (typeof pathOrLines === "string") {
    segments = readJournalSegments(pathOrLines, opts.sealsDir);
    const fs = maybeNodeModule("node:fs");
    const p = maybeNodeModule("node:path");
    const cpPath =
      opts.checkpoint === undefined && p ? p.join(p.dirname(pathOrLines), CHECKPOINT_FILE) : opts.checkpoint;
    if (typeof cpPath === "string") {
      if (fs?.existsSync(cpPath)) checkpoint = JSON.parse(fs.readFileSync(cpPath, "utf8"));
      else if (opts.checkpoint !== undefined) notes.push(`checkpoint ${cpPath} does not exist`);
    } else if (cpPath) checkpoint = cpPath;
  } else {
    segments =
      pathOrLines.length && typeof pathOrLines[0] === "object"
        ? (pathOrLines as JournalSegment[])
        : [{ epoch: 0, file: "<lines>", lines: pathOrLines as string[] }];
    if (opts.checkpoint && typeof opts.checkpoint === "object") checkpoint = opts.checkpoint;
  }
  const verifier = isVerifier(opts.keys) ? opts.keys : createVerifier(opts.keys, opts.backend);
  const res = verifySegments(segments, verifier);
  res.notes.push(...notes);
  if (checkpoint) {
    checkCheckpoint(res, checkpoint, segments, verifier, opts.gpg);
  } else if (res.ok) {
    res.notes.push("no checkpoint was checked: entries cut from the end of the journal would go unnoticed");
  }
  return res;
}

function isVerifier(k: unknown): k is Verifier {
  return !!k && typeof (k as Verifier).verifyDigest === "function";
}

function verifySegments(segments: JournalSegment[], v: Verifier): VerifyJournalResult {
  const res: VerifyJournalResult = {
    ok: true,
    entries: 0,
    head_seq: 0,
    head_hash: GENESIS_HASH,
    epochs: 0,
    notes: [],
  };
  let prev = GENESIS_HASH;
  let expected = 1;
  let lastEpoch = 0;
  const fail = (seg: JournalSegment, line: number, seq: number, reason: string) => {
    res.ok = false;
    res.first_bad = { seq, line, file: seg.file, epoch: seg.epoch, reason };
  };
  for (const seg of segments) {
    if (seg.epoch > 0) {
      res.epochs++;
      if (seg.epoch !== lastEpoch + 1) {
        fail(seg, 0, expected, `sealed epoch ${lastEpoch + 1} is missing (found epoch ${seg.epoch} next)`);
        return res;
      }
      lastEpoch = seg.epoch;
      const bad = checkSeal(seg, v, expected);
      if (bad) {
        fail(seg, 0, expected, bad);
        return res;
      }
    }
    for (let i = 0; i < seg.lines.length; i++) {
      const line = seg.lines[i];
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line);
      } catch {
        fail(seg, i + 1, expected, "the line is not valid JSON");
        return res;
      }
      const seq = typeof entry?.seq === "number" ? entry.seq : expected;
      if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
        fail(seg, i + 1, expected, "the line is not a JSON object");
        return res;
      }
      if (canonicalJson(entry) !== line) {
        fail(seg, i + 1, seq, "the line is not in canonical form (its bytes were changed)");
        return res;
      }
      if (entry.v !== JOURNAL_VERSION) {
        fail(seg, i + 1, seq, `unknown format version ${entry.v}`);
        return res;
      }
      if (entry.seq !== expected) {
        fail(
          seg,
          i + 1,
          expected,
          entry.seq > expected
            ? `seq gap: expected ${expected}, found ${entry.seq} (entries deleted or reordered)`
            : `seq out of order: expected ${expected}, found ${entry.seq} (entries duplicated or reordered)`,
        );
        return res;
      }
      if (entry.prev_hash !== prev) {
        fail(
          seg,
          i + 1,
          seq,
          `hash chain broken: prev_hash does not match the hash of entry ${expected - 1}`,
        );
        return res;
      }
      if (!v.has(entry.key_id)) {
        fail(seg, i + 1, seq, `signed by an unknown key ${entry.key_id}`);
        return res;
      }
      const hash = entryHash(entry);
      if (!v.verifyDigest(entry.key_id, hash, entry.sig)) {
        fail(seg, i + 1, seq, "signature invalid (the entry was modified or forged)");
        return res;
      }
      prev = hash;
      expected++;
      res.entries++;
      res.head_seq = entry.seq;
      res.head_hash = hash;
    }
    if (seg.seal && (seg.seal.last_seq !== res.head_seq || seg.seal.head_hash !== res.head_hash)) {
      fail(seg, seg.lines.length, res.head_seq, "the epoch's entries do not end where its seal says");
      return res;
    }
  }
  return res;
}

function checkSeal(seg: JournalSegment, v: Verifier, expected: number): string | null {
  const s = seg.seal;
  if (!s) return `sealed epoch ${seg.epoch} has no seal record`;
  if (!v.has(s.key_id)) return `the seal of epoch ${seg.epoch} is signed by an unknown key ${s.key_id}`;
  if (!v.verifyDigest(s.key_id, recordHash(s), s.sig))
    return `the seal of epoch ${seg.epoch} has an invalid signature`;
  if (s.epoch !== seg.epoch) return `the seal says epoch ${s.epoch}, the file is epoch ${seg.epoch}`;
  if (seg.sha256 !== undefined && s.file_sha256 !== seg.sha256)
    return `sealed epoch ${seg.epoch} was modified after sealing (file sha256 differs from its seal)`;
  if (s.first_seq !== expected)
    return `sealed epoch ${seg.epoch} starts at seq ${s.first_seq}, expected ${expected}`;
  return null;
}
