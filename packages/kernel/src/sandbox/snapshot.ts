import { lstatSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import ignoreFactory from "ignore";

export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
}

export interface TreeSnapshot {
  root: string;
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
        files.set(r, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode });
      } catch {}
    }
  }
  return { root: abs, files };
}

/** Files created, deleted, or changed (size, mtime, ctime, inode or mode differ) between two snapshots. */
export function diffSnapshots(before: TreeSnapshot, after: TreeSnapshot): SnapshotDiff {
  const changed: string[] = [];
  const created: string[] = [];
  const deleted: string[] = [];
  for (const [p, b] of after.files) {
    const a = before.files.get(p);
    if (!a) created.push(p);
    else if (
      a.size !== b.size ||
      a.mtimeMs !== b.mtimeMs ||
      a.ctimeMs !== b.ctimeMs ||
      a.ino !== b.ino ||
      a.mode !== b.mode
    ) {
      changed.push(p);
    }
  }
  for (const p of before.files.keys()) if (!after.files.has(p)) deleted.push(p);
  return { changed: changed.sort(), created: created.sort(), deleted: deleted.sort() };
}
