import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";

/** fsync a directory so a rename/create inside it survives a crash. Concurrent callers for one dir share fsyncs. */
const dirSyncs = new Map<string, { running: Promise<void> | null; again: Promise<void> | null }>();

async function fsyncDirNow(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Group fsync of a directory: a caller that arrives while an fsync is running waits for the
 * next one (its rename may have happened after the running fsync started), and every caller
 * that arrives meanwhile shares that next one.
 */
export function fsyncDir(dir: string): Promise<void> {
  let s = dirSyncs.get(dir);
  if (!s) {
    s = { running: null, again: null };
    dirSyncs.set(dir, s);
  }
  const state = s;
  if (!state.running) {
    state.running = fsyncDirNow(dir).finally(() => {
      state.running = null;
    });
    return state.running;
  }
  if (!state.again) {
    const prev = state.running;
    state.again = prev
      .catch(() => {})
      .then(() => {
        state.again = null;
        state.running = fsyncDirNow(dir).finally(() => {
          state.running = null;
        });
        return state.running;
      });
  }
  return state.again;
}

export function tempNameFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.ostk-tmp-${randomBytes(6).toString("hex")}`,
  );
}

/** Write `data` to `tmp` (created exclusively, never through a symlink), fdatasync unless `sync` is false. */
export async function writeTempAt(
  tmp: string,
  data: Uint8Array | string,
  mode = 0o644,
  sync = true,
): Promise<void> {
  const fh = await fsp.open(
    tmp,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    mode,
  );
  try {
    await fh.writeFile(data);
    if (sync) await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
}

/** Write `data` to a fresh temp file beside `target` and fsync it. Returns the temp path. */
export async function writeTempSynced(
  target: string,
  data: Uint8Array | string,
  mode = 0o644,
): Promise<string> {
  const tmp = tempNameFor(target);
  await writeTempAt(tmp, data, mode);
  return tmp;
}

export async function atomicWriteFile(
  target: string,
  data: Uint8Array | string,
  mode = 0o644,
): Promise<void> {
  const tmp = await writeTempSynced(target, data, mode);
  await fsp.rename(tmp, target);
  await fsyncDir(path.dirname(target));
}

/** Synchronous variant for small state files (checkpoints, snapshots) written off the hot path. */
export function atomicWriteFileSync(target: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempNameFor(target);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  const dfd = fs.openSync(path.dirname(target), "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
