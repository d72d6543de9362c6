import * as fs from "node:fs";
import fsp from "node:fs/promises";
import { writeTempAt } from "./durable.js";
import { eachLimited } from "./each-limited.js";
import { type Fastfs, fastfsMissing, loadFastfs, type NativeReplaced } from "./fastfs.js";

/** How `replaceFile` puts a finished temp file in place. */
export type ReplaceMethod = "exchange" | "rename";

/** The parts of a stat the generation table records. */
export interface FileStamp {
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** Set once the filesystem refused RENAME_EXCHANGE: from then on this process uses rename(2). */
let refused = "";

/** The addon for the write path, or null (no addon, or the exchange was refused here). */
function addon(): Fastfs | null {
  return refused ? null : loadFastfs();
}

function refuse(code: string): void {
  refused = `renameat2 exchange refused (${code}) on this filesystem`;
}

/** Which method `replaceFile` uses in this process, and why not the fast one. */
export function replaceMethod(): { method: ReplaceMethod; reason?: string } {
  return addon() ? { method: "exchange" } : { method: "rename", reason: refused || fastfsMissing() };
}

/**
 * Atomically replaces `target` with the finished file at `tmp` (same directory): readers see the old
 * file or the new one, never a mix, and `tmp` is gone afterwards.
 *
 * Where it can, it exchanges the two names (renameat2 RENAME_EXCHANGE) and unlinks `tmp`, which now
 * holds the old content. On ext4 a rename(2) over an existing file first starts a writeback of the
 * new data (auto_da_alloc), 0.2–1 ms per write; the exchange does not. That heuristic only guards
 * against zero-length files after a power cut, which the kernel's write-ahead journal already covers
 * (recovery redoes any change past the durable watermark). A missing target (a new file) or a
 * filesystem without the exchange falls back to rename(2).
 */
export async function replaceFile(tmp: string, target: string): Promise<void> {
  const ff = addon();
  if (ff) {
    let exchanged = false;
    try {
      ff.exchange(tmp, target);
      exchanged = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EINVAL" || code === "ENOSYS" || code === "EPERM") {
        // This filesystem (or kernel) has no RENAME_EXCHANGE: stop trying in this process.
        refuse(code);
      } else if (code !== "ENOENT") throw err;
      // ENOENT: no file to replace yet (or tmp vanished, which rename reports as it should).
    }
    if (exchanged) {
      try {
        await fsp.unlink(tmp);
      } catch (err) {
        // What stood at `target` cannot be unlinked (a directory put there since it was checked): swap
        // it back and fail as rename(2) would, leaving `tmp` to the caller.
        ff.exchange(tmp, target);
        throw err;
      }
      return;
    }
  }
  await fsp.rename(tmp, target);
}

/**
 * Write `data` to a new temp file `tmp` (created exclusively, never through a symlink, not fsynced)
 * and put it in place at `target` as `replaceFile` does; returns the target's stat taken right after.
 * With the ostk-fastfs addon this is one thread-pool job instead of six round trips (open, write,
 * close, exchange, unlink, stat), shared with the other applies of the same event-loop turn; `alone`
 * (no other write is in flight to share it) does the same six syscalls right here instead, which
 * costs less than the job's two cross-thread wake-ups. Without the addon, the same steps through
 * fs.promises. On failure `target` is untouched and `tmp` may remain (the caller removes it).
 */
export async function writeAndReplace(
  tmp: string,
  target: string,
  data: Buffer,
  mode: number,
  alone = false,
): Promise<FileStamp> {
  const ff = addon();
  if (ff?.writeReplaceBatch) {
    const op: ReplaceOp = [tmp, target, data, mode];
    let r: NativeReplaced;
    if (alone && ff.writeReplaceSync) {
      const out = ff.writeReplaceSync(op);
      if (out instanceof Error) throw out;
      r = out;
    } else r = await inBatch(ff, op);
    if (r.how.startsWith("rename:")) {
      refuse(r.how.slice(7));
    }
    if (r.size !== undefined) {
      // The same arithmetic as fs.Stats, so the values compare equal to a later fs.lstatSync().
      return {
        size: r.size,
        ino: r.ino!,
        mtimeMs: r.mtimeSec! * 1e3 + r.mtimeNsec! / 1e6,
        ctimeMs: r.ctimeSec! * 1e3 + r.ctimeNsec! / 1e6,
      };
    }
    return stampOf(fs.statSync(target));
  }
  await writeTempAt(tmp, data, mode, false);
  await replaceFile(tmp, target);
  return stampOf(fs.statSync(target));
}

type ReplaceOp = [tmp: string, target: string, data: Buffer, mode: number];
let batch: Waiting[] = [];

/**
 * Every apply that becomes ready in one event-loop turn (the writers one fdatasync released) goes to
 * the thread pool at the end of the turn, split in two jobs: two wake-ups and completions for the
 * event loop instead of one per write, and both cores busy. Each op succeeds or fails on its own;
 * no two of them touch the same path (each writer holds its path's lock until its apply is done).
 */
function inBatch(ff: Fastfs, op: ReplaceOp): Promise<NativeReplaced> {
  return new Promise((resolve, reject) => {
    batch.push({ op, resolve, reject });
    if (batch.length > 1) return;
    setImmediate(() => {
      const ops = batch;
      batch = [];
      // One job ran every apply after the other on one pool thread while the event loop, all writers
      // waiting on it, had nothing to do: 16 writers in-process, nosync, 14–25 % fewer writes/s
      // than with two jobs (4 of 4 interleaved runs).
      for (const slice of slices(ops, 2)) runBatch(ff, slice);
    });
  });
}

type Waiting = { op: ReplaceOp; resolve(r: NativeReplaced): void; reject(e: unknown): void };

function runBatch(ff: Fastfs, ops: Waiting[]): void {
  let results: Promise<(NativeReplaced | Error)[]>;
  try {
    results = ff.writeReplaceBatch!(ops.map((o) => o.op));
  } catch (err) {
    for (const o of ops) o.reject(err);
    return;
  }
  results.then(
    (rs) => {
      ops.forEach((o, i) => {
        const r = rs[i];
        if (r instanceof Error) o.reject(r);
        else if (r) o.resolve(r);
        else o.reject(new Error("ostk-fastfs: writeReplaceBatch returned no result"));
      });
    },
    (err) => {
      for (const o of ops) o.reject(err);
    },
  );
}

/** Non-empty `items` in at most `n` contiguous, nearly equal slices: one thread-pool job each. */
function slices<T>(items: T[], n: number): T[][] {
  const size = Math.ceil(items.length / Math.min(n, items.length));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function stampOf(st: fs.Stats): FileStamp {
  return { size: st.size, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/**
 * fdatasync each regular file in `files` (never through a symlink; a missing file is skipped), at
 * most `concurrency` at a time. With the addon, each of `concurrency` slices is ONE thread-pool job,
 * so a background sync of many files costs the event loop a couple of wake-ups instead of three
 * round trips per file. Every file is tried; the first failure is thrown at the end.
 */
export async function syncFiles(files: string[], concurrency = 2): Promise<void> {
  if (!files.length) return;
  const ff = addon();
  if (ff?.syncFiles) {
    const results = await Promise.allSettled(slices(files, concurrency).map((slice) => ff.syncFiles!(slice)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return;
  }
  await eachLimited(files, concurrency, syncOne);
}

async function syncOne(file: string): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP" || code === "ENOTDIR") return;
    throw err;
  }
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
