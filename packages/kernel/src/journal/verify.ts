import * as path from "node:path";
import { JOURNAL_FILE, SEALS_DIR, verifyJournal } from "@ostk/lib";

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
  notes?: string[];
}

/**
 * Verify a workspace's journal (sealed epochs, live file, signed checkpoint) with @ostk/lib's
 * `verifyJournal`, against the trusted public keys; the shape `audit/verify` and `ostk boot` report.
 */
export async function verifyJournalDir(stateDir: string, trustedKeys: string[]): Promise<VerifyResult> {
  const r = await verifyJournal(path.join(stateDir, JOURNAL_FILE), {
    keys: trustedKeys,
    sealsDir: path.join(stateDir, SEALS_DIR),
  });
  const out: VerifyResult = {
    ok: r.ok,
    entries: r.entries,
    epochs: r.epochs,
    lastSeq: r.head_seq,
    headHash: r.head_hash,
    notes: r.notes,
  };
  if (r.first_bad) {
    out.firstBadSeq = r.first_bad.seq;
    out.reason = r.first_bad.reason;
  }
  if (r.checkpoint) out.checkpoint = { seq: r.checkpoint.seq, ok: r.checkpoint.ok };
  return out;
}
