import * as fs from "node:fs";
import * as path from "node:path";
import { OstkRpcError } from "@ostk/lib";

export interface Resolved {
  /** Workspace-relative POSIX path ("" for the root). */
  rel: string;
  /** Absolute real path (symlinks in existing components resolved). */
  abs: string;
  exists: boolean;
}

export const STATE_DIR = ".ostk";

/** Is this workspace-relative path governance state (never writable through syscalls)? */
export function isProtected(rel: string): boolean {
  return rel === STATE_DIR || rel.startsWith(`${STATE_DIR}/`);
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Confines paths to one workspace. Each call resolves the real path of the target (or, when it
 * does not exist yet, of its nearest existing ancestor) and refuses anything that lands outside:
 * `..`, absolute paths elsewhere, NUL bytes, symlinks pointing out. `checkOpened` re-checks an open
 * fd through /proc so a swap between check and open is caught too.
 */
export class Workspace {
  readonly root: string;
  readonly stateDir: string;

  constructor(root: string) {
    this.root = fs.realpathSync(root);
    this.stateDir = path.join(this.root, STATE_DIR);
  }

  relOf(abs: string): string {
    return path.relative(this.root, abs).split(path.sep).join("/");
  }

  /**
   * Lexical check + symlink-aware resolution. `forWrite` also refuses governance paths. `memo` (one
   * per call, see CallContext.resolved) lets the policy check and the syscall share one resolution
   * of the same path instead of each doing its own lstat + realpath.
   */
  resolve(
    input: unknown,
    opts: { forWrite?: boolean; follow?: boolean; memo?: Map<string, Resolved> } = {},
  ): Resolved {
    if (typeof input !== "string") throw new OstkRpcError("InvalidParams", "path must be a string");
    const key = `${opts.follow === false ? "n" : "f"}:${input}`;
    let r = opts.memo?.get(key);
    if (!r) {
      const found = this.resolveUncached(input, opts.follow !== false);
      r = found.resolved;
      if (opts.memo) {
        opts.memo.set(key, r);
        // Not a symlink at the end (or not there): following it or not resolves the same.
        if (found.sameEitherWay) opts.memo.set(`${opts.follow === false ? "f" : "n"}:${input}`, r);
      }
    }
    const rel = r.rel;
    if (opts.forWrite && isProtected(rel)) {
      throw new OstkRpcError(
        "ProtectedPath",
        `${rel} is kernel state and cannot be changed through syscalls`,
        {
          path: rel,
        },
      );
    }
    if (opts.forWrite && rel === "") {
      throw new OstkRpcError("ProtectedPath", "the workspace root itself cannot be replaced", { path: rel });
    }
    return r;
  }

  private resolveUncached(input: string, follow: boolean): { resolved: Resolved; sameEitherWay: boolean } {
    if (input.includes("\0"))
      throw new OstkRpcError("PathOutsideWorkspace", "path contains a NUL byte", { path: input });
    if (input.length > 4096) throw new OstkRpcError("InvalidParams", "path is longer than 4096 characters");
    const lexical = path.resolve(this.root, input === "" ? "." : input);
    if (!within(this.root, lexical)) {
      throw new OstkRpcError(
        "PathOutsideWorkspace",
        `path ${JSON.stringify(input)} is outside the workspace`,
        {
          path: input,
        },
      );
    }
    // Resolve the longest existing prefix, then re-append the missing tail.
    let existing = lexical;
    const missing: string[] = [];
    let real: string | null = null;
    let finalIsLink = false;
    // One realpath(3) call per lookup (`.native`), not one lstat per path component; a missing entry
    // is a return value, not an exception (both are on every syscall's path).
    for (;;) {
      try {
        const st = fs.lstatSync(existing, { throwIfNoEntry: false });
        if (st) {
          finalIsLink = missing.length === 0 && st.isSymbolicLink();
          if (finalIsLink && !follow) {
            real = path.join(fs.realpathSync.native(path.dirname(existing)), path.basename(existing));
          } else {
            real = fs.realpathSync.native(existing);
          }
          break;
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") {
          if (code === "ELOOP") {
            throw new OstkRpcError(
              "PathOutsideWorkspace",
              `path ${JSON.stringify(input)} has a symlink loop`,
              {
                path: input,
              },
            );
          }
          throw err;
        }
      }
      if (existing === this.root) throw new OstkRpcError("NotFound", "the workspace root does not exist");
      missing.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
    const abs = missing.length ? path.join(real, ...missing) : real;
    if (!within(this.root, abs)) {
      throw new OstkRpcError(
        "PathOutsideWorkspace",
        `path ${JSON.stringify(input)} resolves outside the workspace through a symlink`,
        { path: input },
      );
    }
    return {
      resolved: { rel: this.relOf(abs), abs, exists: missing.length === 0 },
      sameEitherWay: !finalIsLink,
    };
  }

  /** After open(): the fd must still refer to a file inside the workspace (Linux: /proc/self/fd). */
  checkOpened(fd: number, rel: string): void {
    if (process.platform !== "linux") return;
    let actual: string;
    try {
      actual = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return;
    }
    if (!within(this.root, actual)) {
      throw new OstkRpcError("PathOutsideWorkspace", `${rel} was swapped for a path outside the workspace`, {
        path: rel,
      });
    }
  }
}
