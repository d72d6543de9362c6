import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CHECKPOINT_FILE,
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  type JournalCheckpoint,
  type JournalEntry,
  type JournalRecord,
  type JournalSeal,
  SEALS_DIR,
  type Signer,
  sealFileName,
  sealRecordName,
  sha256Hex,
} from "@ostk/lib";
import { atomicWriteFileSync } from "../util/durable.js";
import type { Logger } from "../util/logger.js";

export interface JournalOptions {
  /** The `.ostk` directory. */
  stateDir: string;
  signer: Signer;
  logger?: Logger;
  /** Rotate the live file into a sealed epoch past this size (bytes). Default 64 MiB. */
  rotateBytes?: number;
  /** Write a signed checkpoint after this many durable entries. Default 512. */
  checkpointEvery?: number;
  /** fdatasync on flush (default true). false is for benchmarks only. */
  durable?: boolean;
  /** Sign entries (default true). false is for measuring the cost of signing only. */
  sign?: boolean;
}

const UNSIGNED = "0".repeat(128);

/**
 * Canonical JSON of an entry body, and a function giving the entry's line once its signature is
 * known, from one pass over the members: exactly `canonicalJson(body)` and
 * `entryLine({ ...body, sig })` (members sorted by UTF-16 code units, undefined members omitted).
 */
export function canonicalForms(body: Record<string, unknown>): {
  body: string;
  line: (sig: string) => string;
} {
  const keys = Object.keys(body)
    .filter((k) => body[k] !== undefined)
    .sort();
  const members = keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(body[k])}`);
  const joined = members.join(",");
  return {
    body: `{${joined}}`,
    line: (sig) => {
      let at = keys.findIndex((k) => k > "sig");
      if (at < 0) at = keys.length;
      const sigMember = `"sig":${JSON.stringify(sig)}`;
      if (at === 0) return `{${sigMember}${joined ? `,${joined}` : ""}}`;
      if (at === keys.length) return `{${joined},${sigMember}}`;
      return `{${members.slice(0, at).join(",")},${sigMember},${members.slice(at).join(",")}}`;
    },
  };
}

interface Tail {
  seq: number;
  head: string;
  offset: number;
  tornBytes: number;
}

/** Read the last complete entry of a journal file; a final line without `\n` is a torn write. */
function readTail(file: string): Tail | null {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return { seq: 0, head: "", offset: 0, tornBytes: 0 };
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      const lastNl = buf.lastIndexOf(0x0a);
      if (lastNl < 0 && start > 0) {
        chunk *= 4;
        continue;
      }
      const completeEnd = start + lastNl + 1; // 0 when no newline at all
      const tornBytes = size - completeEnd;
      if (lastNl < 0) return { seq: 0, head: "", offset: 0, tornBytes };
      const prevNl = buf.lastIndexOf(0x0a, lastNl - 1);
      if (prevNl < 0 && start > 0) {
        chunk *= 4;
        continue;
      }
      const line = buf.subarray(prevNl + 1, lastNl).toString("utf8");
      const entry = JSON.parse(line) as JournalEntry;
      return { seq: entry.seq, head: entryHash(entry), offset: completeEnd, tornBytes };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The signed, hash-chained write-ahead journal. `append` assigns seq, chains and signs an entry and
 * writes its line at once (so order on disk is order of append); `flush` makes everything appended
 * so far durable, and concurrent callers share one fdatasync (group commit).
 */
export class Journal extends EventEmitter {
  readonly file: string;
  readonly sealsDir: string;
  readonly checkpointFile: string;
  private fd: number;
  private seq: number;
  private head: string;
  private offset: number;
  private durableSeq: number;
  private durableOffset: number;
  /** Hash of entry `durableSeq` (what a checkpoint signs), known without re-reading the file. */
  private durableHead: string;
  private flushing: Promise<void> | null = null;
  private lastCheckpointSeq = 0;
  private epoch: number;
  private closed = false;
  private readonly opts: Required<Omit<JournalOptions, "logger">> & { logger?: Logger };

  private constructor(opts: JournalOptions, fd: number, tail: Tail, epoch: number) {
    super();
    this.opts = {
      rotateBytes: 64 * 1024 * 1024,
      checkpointEvery: 512,
      durable: true,
      sign: true,
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as JournalOptions),
    };
    this.file = path.join(opts.stateDir, JOURNAL_FILE);
    this.sealsDir = path.join(opts.stateDir, SEALS_DIR);
    this.checkpointFile = path.join(opts.stateDir, CHECKPOINT_FILE);
    this.fd = fd;
    this.seq = tail.seq;
    this.head = tail.head || GENESIS_HASH;
    this.offset = tail.offset;
    this.durableSeq = tail.seq;
    this.durableOffset = tail.offset;
    this.durableHead = this.head;
    this.lastCheckpointSeq = tail.seq;
    this.epoch = epoch;
  }

  /** Open (creating if needed) the journal in `stateDir`; a torn final line is cut and reported. */
  static open(opts: JournalOptions): Journal {
    const file = path.join(opts.stateDir, JOURNAL_FILE);
    const sealsDir = path.join(opts.stateDir, SEALS_DIR);
    fs.mkdirSync(sealsDir, { recursive: true, mode: 0o700 });
    const seals = listSeals(sealsDir);
    let tail = readTail(file) ?? { seq: 0, head: "", offset: 0, tornBytes: 0 };
    if (tail.tornBytes > 0) {
      opts.logger?.warn({ bytes: tail.tornBytes }, "journal: cutting a torn final line left by a crash");
      fs.truncateSync(file, tail.offset);
    }
    if (tail.seq === 0 && seals.length > 0) {
      const last = seals[seals.length - 1];
      const seal = JSON.parse(
        fs.readFileSync(path.join(sealsDir, sealRecordName(last)), "utf8"),
      ) as JournalSeal;
      tail = { seq: seal.last_seq, head: seal.head_hash, offset: 0, tornBytes: 0 };
    }
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
    const j = new Journal(opts, fd, tail, (seals[seals.length - 1] ?? 0) + 1);
    if (tail.seq > 0 && tail.offset > 0) j.lastCheckpointSeq = j.readCheckpoint()?.seq ?? 0;
    return j;
  }

  get lastSeq(): number {
    return this.seq;
  }
  get headHash(): string {
    return this.head;
  }
  get durable(): number {
    return this.durableSeq;
  }
  get keyId(): string {
    return this.opts.signer.keyId;
  }

  /** Chain, sign and write one entry (not yet durable: await `flush()`). */
  append(record: JournalRecord): JournalEntry {
    if (this.closed) throw new Error("journal is closed");
    const body = {
      ...record,
      v: JOURNAL_VERSION,
      seq: this.seq + 1,
      ts: record.ts ?? Date.now(),
      prev_hash: this.head,
      key_id: this.opts.signer.keyId,
    };
    // One canonicalisation serves both forms: the body's (hashed: what is signed and what the next
    // entry chains to, = entryHash(entry)) and the line's (= entryLine(entry)), which is the same
    // sorted member list with "sig" spliced in at its place.
    const { body: bodyJson, line: lineOf } = canonicalForms(body);
    const hash = sha256Hex(bodyJson);
    const sig = this.opts.sign ? this.opts.signer.signDigest(hash) : UNSIGNED;
    const entry: JournalEntry = { ...body, sig };
    const buf = Buffer.from(`${lineOf(sig)}\n`, "utf8");
    let written = 0;
    while (written < buf.length) written += fs.writeSync(this.fd, buf, written);
    this.seq = entry.seq;
    this.head = hash;
    this.offset += buf.length;
    this.emit("append", entry);
    return entry;
  }

  /** Resolve once every entry appended before this call is on disk; concurrent callers share fsyncs. */
  async flush(): Promise<void> {
    const target = this.seq;
    while (this.durableSeq < target) {
      if (!this.flushing) {
        this.flushing = this.flushNow().finally(() => {
          this.flushing = null;
        });
      }
      await this.flushing;
    }
  }

  private async flushNow(): Promise<void> {
    // The group-commit window is the rest of this turn of the event loop: every request already read
    // from the sockets appends its intent before the fdatasync starts and shares it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const seq = this.seq;
    const offset = this.offset;
    const head = this.head;
    if (this.opts.durable) {
      await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
    }
    this.markDurable(seq, offset, head);
  }

  /** An fdatasync that covered entries up to `seq` finished (the durable watermark never moves back). */
  private markDurable(seq: number, offset: number, head: string): void {
    if (seq > this.durableSeq) {
      this.durableSeq = seq;
      this.durableOffset = offset;
      this.durableHead = head;
      this.emit("durable", seq);
    }
    if (this.durableSeq - this.lastCheckpointSeq >= this.opts.checkpointEvery) this.checkpoint();
    if (this.offset >= this.opts.rotateBytes && this.rotationAllowed()) this.rotate();
  }

  /** Rotate now if the live file is past the size limit and no intent is open. */
  maybeRotate(): void {
    if (!this.closed && this.offset >= this.opts.rotateBytes && this.rotationAllowed()) this.rotate();
  }

  /** Set by the kernel: rotation only happens when no intent is open. */
  rotationAllowed: () => boolean = () => true;

  /** Write a signed checkpoint for the last durable entry. */
  checkpoint(): void {
    if (this.durableSeq === 0 || this.durableSeq === this.lastCheckpointSeq) return;
    if (this.durableOffset === 0) return; // the live file is empty right after a rotation
    const cp = this.opts.signer.signRecord<JournalCheckpoint>({
      v: JOURNAL_VERSION,
      epoch: 0,
      seq: this.durableSeq,
      offset: this.durableOffset,
      head_hash: this.durableHead,
      ts: Date.now(),
    });
    atomicWriteFileSync(this.checkpointFile, `${canonicalJson(cp)}\n`, 0o600);
    this.lastCheckpointSeq = this.durableSeq;
  }

  readCheckpoint(): JournalCheckpoint | null {
    try {
      return JSON.parse(fs.readFileSync(this.checkpointFile, "utf8")) as JournalCheckpoint;
    } catch {
      return null;
    }
  }

  /**
   * Seal the live file as the next epoch: move it to `journal-seals/epoch-N.jsonl`, write the signed
   * seal record, start an empty live file whose first entry chains to the seal's head.
   */
  rotate(): void {
    if (this.seq === 0 || this.offset === 0) return;
    fs.fdatasyncSync(this.fd);
    const bytes = fs.readFileSync(this.file);
    const firstLine = bytes.subarray(0, bytes.indexOf(0x0a)).toString("utf8");
    const first = JSON.parse(firstLine) as JournalEntry;
    const epoch = this.epoch;
    const sealedPath = path.join(this.sealsDir, sealFileName(epoch));
    const seal = this.opts.signer.signRecord<JournalSeal>({
      v: JOURNAL_VERSION,
      epoch,
      first_seq: first.seq,
      last_seq: this.seq,
      head_hash: this.head,
      file_sha256: sha256Hex(bytes),
      ts: Date.now(),
    });
    fs.closeSync(this.fd);
    fs.renameSync(this.file, sealedPath);
    atomicWriteFileSync(path.join(this.sealsDir, sealRecordName(epoch)), `${canonicalJson(seal)}\n`, 0o600);
    const cp = this.opts.signer.signRecord<JournalCheckpoint>({
      v: JOURNAL_VERSION,
      epoch,
      seq: this.seq,
      offset: bytes.length,
      head_hash: this.head,
      ts: Date.now(),
    });
    atomicWriteFileSync(this.checkpointFile, `${canonicalJson(cp)}\n`, 0o600);
    this.fd = fs.openSync(
      this.file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND,
      0o600,
    );
    const dfd = fs.openSync(path.dirname(this.file), "r");
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
    this.offset = 0;
    this.durableOffset = 0;
    this.durableSeq = this.seq;
    this.durableHead = this.head;
    this.lastCheckpointSeq = this.seq;
    this.emit("durable", this.seq);
    this.epoch = epoch + 1;
    this.opts.logger?.info({ epoch, last_seq: this.seq }, "journal: sealed epoch");
    this.emit("rotate", seal);
  }

  /** Flush, checkpoint, close. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.checkpoint();
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** Epoch numbers that have a seal record, ascending. */
export function listSeals(sealsDir: string): number[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(sealsDir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^epoch-(\d+)\.seal\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}
