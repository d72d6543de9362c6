import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ignoreFactory from "ignore";

export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  /**
   * sha256 of the content when the file was modified so recently that a later same-size rewrite could
   * keep the same timestamps (coarse filesystem clocks): then content, not stat, decides (like git's
   * "racily clean" check).
   */
  hash?: string;
}

export interface TreeSnapshot {
  root: string;
  takenAtMs: number;
  /** Workspace-relative POSIX paths of regular files and symlinks. */
  files: Map<string, FileStat>;
}

export interface SnapshotDiff {
  changed: string[];
  created: string[];
  deleted: string[];
}

/** Ignored by default: the kernel's own state and git's object store. */
export const DEFAULT_SNAPSHOT_IGNORE = [".ostk/", ".git/"];

/** Files touched this recently (ms) are hashed, as their timestamps may not move on a same-size rewrite. */
const RACY_MS = 2_000;
const RACY_HASH_MAX = 16 * 1024 * 1024;

/**
 * Stat every file under `root` (not following symlinks), skipping gitignore-style `ignore` patterns or
 * paths for which an ignore function returns true. Compare two snapshots with `diffSnapshots`.
 */
export function snapshotTree(
  root: string,
  ignore: string[] | ((relPath: string) => boolean) = DEFAULT_SNAPSHOT_IGNORE,
): TreeSnapshot {
  const abs = resolve(root);
  let skip: (rel: string) => boolean;
  if (typeof ignore === "function") skip = ignore;
  else {
    const ig = ignoreFactory().add(ignore);
    skip = (rel) => ig.ignores(rel);
  }
  const files = new Map<string, FileStat>();
  const takenAtMs = Date.now();
  const stack: string[] = [""];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(rel ? join(abs, rel) : abs, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!skip(`${r}/`)) stack.push(r);
        continue;
      }
      if (skip(r)) continue;
      try {
        const st = lstatSync(join(abs, r));
        const f: FileStat = {
          size: st.size,
          mtimeMs: st.mtimeMs,
          ctimeMs: st.ctimeMs,
          ino: st.ino,
          mode: st.mode,
        };
        if (
          st.isFile() &&
          Math.max(st.mtimeMs, st.ctimeMs) >= takenAtMs - RACY_MS &&
          st.size <= RACY_HASH_MAX
        ) {
          f.hash = createHash("sha256")
            .update(readFileSync(join(abs, r)))
            .digest("hex");
        }
        files.set(r, f);
      } catch {}
    }
  }
  return { root: abs, takenAtMs, files };
}

/** Files created, deleted, or changed (size, mtime, ctime, inode or mode differ) between two snapshots. */
export function diffSnapshots(before: TreeSnapshot, after: TreeSnapshot): SnapshotDiff {
  const changed: string[] = [];
  const created: string[] = [];
  const deleted: string[] = [];
  for (const [p, b] of after.files) {
    const a = before.files.get(p);
    if (!a) created.push(p);
    else if (statChanged(a, b)) changed.push(p);
    else if (a.hash !== undefined && a.hash !== (b.hash ?? hashFile(after.root, p))) changed.push(p);
  }
  for (const p of before.files.keys()) if (!after.files.has(p)) deleted.push(p);
  return { changed: changed.sort(), created: created.sort(), deleted: deleted.sort() };
}

function statChanged(a: FileStat, b: FileStat): boolean {
  return (
    a.size !== b.size ||
    a.mtimeMs !== b.mtimeMs ||
    a.ctimeMs !== b.ctimeMs ||
    a.ino !== b.ino ||
    a.mode !== b.mode
  );
}

function hashFile(root: string, rel: string): string | undefined {
  try {
    return createHash("sha256")
      .update(readFileSync(join(root, rel)))
      .digest("hex");
  } catch {
    return undefined;
  }
}
