import * as fs from "node:fs";
import * as os from "node:os";
import { OstkError } from "@ostk/lib";

export interface LockOwner {
  pid: number;
  /** Process start time (clock ticks since boot, from /proc) so a recycled pid is not mistaken for the owner. */
  start: string | null;
  host: string;
  ts: number;
}

/** Start time of a process, or null when it does not exist (or /proc is unavailable). */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null; // field 22 overall: starttime
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // cannot judge another host's process: assume alive
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (process.platform === "linux" && owner.start !== null) return processStart(owner.pid) === owner.start;
  return true;
}

export function readLockOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return null;
  }
}

/**
 * One daemon per workspace. Node has no flock, so the lock is a file created with O_EXCL that
 * names its owner (pid + process start time); a lock whose owner is gone is stale and replaced.
 */
export class AnchorLock {
  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  static acquire(file: string): AnchorLock {
    const owner: LockOwner = {
      pid: process.pid,
      start: processStart(process.pid),
      host: os.hostname(),
      ts: Date.now(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(
          file,
          fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
          0o600,
        );
        fs.writeSync(fd, JSON.stringify(owner));
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        return new AnchorLock(file, owner);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const current = readLockOwner(file);
      if (current && alive(current)) {
        throw new OstkError(
          "DaemonRunning",
          `another ostk daemon (pid ${current.pid}) holds ${file}; use it, or stop it with \`ostk daemon stop\``,
        );
      }
      // Stale (owner gone, or the file is empty from a crash mid-write): replace it.
      const again = readLockOwner(file);
      if (JSON.stringify(again) === JSON.stringify(current)) fs.rmSync(file, { force: true });
    }
    throw new OstkError("LockContended", `could not acquire ${file}: it keeps changing hands; retry`);
  }

  release(): void {
    const current = readLockOwner(this.file);
    if (current && current.pid === this.owner.pid && current.start === this.owner.start)
      fs.rmSync(this.file, { force: true });
  }
}
