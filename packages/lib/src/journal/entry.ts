import { canonicalJson } from "./canonical.js";
import { hexToBytes, sha256Hex } from "./hash.js";

/** Format version of journal entries. */
export const JOURNAL_VERSION = 1;
/** `prev_hash` of the first entry ever written in a workspace. */
export const GENESIS_HASH = "0".repeat(64);

export type ActorKind = "agent" | "human" | "kernel" | "integration" | "mcp" | "external";

export interface JournalActor {
  /** Stable caller id, e.g. "claude-code-1", "ostk-cli", "kernel". */
  id: string;
  kind: ActorKind;
  /** Session the call belonged to, when there was one. */
  session?: string;
  /** The calling process as the operating system reports it; `id` and `kind` are what it claims. */
  peer?: JournalPeer;
}

/** The process on the other end of the kernel's socket, from the OS at connect (SO_PEERCRED). */
export interface JournalPeer {
  pid: number;
  uid: number;
  /** Its executable (/proc/<pid>/exe), when readable. */
  exe?: string;
}

/**
 * One journal line. Everything but `sig` is the signed body; `hash` is not
 * stored: it is recomputed from the body, and the next entry's `prev_hash`
 * must equal it.
 */
export interface JournalEntry {
  v: number;
  seq: number;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  /** e.g. fs.intent, fs.commit, fs.abort, tool.bash, decision, session.open, journal.rotate, agent.spawn */
  event: string;
  actor: JournalActor;
  /** W3C trace id (32 hex) of the call that caused the entry. */
  trace?: string;
  /** Workspace-relative POSIX path the entry is about. */
  path?: string;
  gen_before?: number;
  gen_after?: number;
  /** sha256 hex of the file content before/after; null when the file did not / does not exist. */
  hash_before?: string | null;
  hash_after?: string | null;
  data?: Record<string, unknown>;
  prev_hash: string;
  /** First 16 hex of sha256(raw Ed25519 public key). */
  key_id: string;
  /** Ed25519 signature (128 hex) over the 32 bytes of the body hash. */
  sig: string;
}

export type JournalBody = Omit<JournalEntry, "sig">;
/** What a writer supplies; the journal fills in v, seq, ts, prev_hash, key_id, sig. */
export type JournalRecord = Omit<JournalEntry, "v" | "seq" | "ts" | "prev_hash" | "key_id" | "sig"> & {
  ts?: number;
};

/** The body of an entry: everything but the signature. */
export function entryBody(entry: JournalEntry | JournalBody): JournalBody {
  const { sig: _sig, ...body } = entry as JournalEntry;
  return body;
}

/** Hex sha256 of the canonical body: what is signed and what the next entry chains to. */
export function entryHash(entry: JournalEntry | JournalBody): string {
  return sha256Hex(canonicalJson(entryBody(entry)));
}

/** The exact line (without newline) an entry is stored as. */
export function entryLine(entry: JournalEntry): string {
  return canonicalJson(entry);
}

/** Key id of a raw 32-byte Ed25519 public key (bytes or hex). */
export function keyIdOf(publicKey: Uint8Array | string): string {
  const bytes = typeof publicKey === "string" ? hexToBytes(publicKey) : publicKey;
  return sha256Hex(bytes).slice(0, 16);
}

/**
 * A signed checkpoint, kept outside the journal file (`.ostk/journal.checkpoint`)
 * so that cutting the journal's tail is detectable: the journal must still hold
 * entry `seq`, ending at byte `offset`, whose hash is `head_hash`.
 */
export interface JournalCheckpoint {
  v: number;
  /** Sealed epoch number the checkpoint's entry lives in; 0 = the live journal. */
  epoch: number;
  seq: number;
  /** Byte offset just past the entry's newline in the file that holds it. */
  offset: number;
  head_hash: string;
  ts: number;
  key_id: string;
  sig: string;
  /** Optional ASCII-armoured detached GPG signature over the canonical checkpoint body. */
  gpg_sig?: string;
}

/**
 * Written when the live journal is rotated: `.ostk/journal-seals/epoch-<n>.jsonl`
 * holds the epoch's entries and `epoch-<n>.seal.json` this record. The next
 * live entry chains to `head_hash`, so the chain continues across epochs.
 */
export interface JournalSeal {
  v: number;
  epoch: number;
  first_seq: number;
  last_seq: number;
  head_hash: string;
  /** sha256 of the whole sealed file's bytes. */
  file_sha256: string;
  ts: number;
  key_id: string;
  sig: string;
  gpg_sig?: string;
}

/** Hex sha256 of the canonical form of a checkpoint or seal without its signatures. */
export function recordHash(record: JournalCheckpoint | JournalSeal): string {
  const { sig: _s, gpg_sig: _g, ...body } = record;
  return sha256Hex(canonicalJson(body));
}

export const JOURNAL_FILE = "journal.jsonl";
export const CHECKPOINT_FILE = "journal.checkpoint";
export const SEALS_DIR = "journal-seals";
export const sealFileName = (epoch: number) => `epoch-${String(epoch).padStart(6, "0")}.jsonl`;
export const sealRecordName = (epoch: number) => `epoch-${String(epoch).padStart(6, "0")}.seal.json`;
