import { type Dirent, promises as fs } from "node:fs";
import { join, relative, sep } from "node:path";
import ignore, { type Ignore } from "ignore";

/** Always skipped, whatever the ignore files say. */
export const ALWAYS_IGNORED = [".git/", ".ostk/", "node_modules/", ".hg/", ".svn/"];

export interface WalkEntry {
  /** Workspace-relative path with forward slashes. */
  path: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

interface Layer {
  base: string; // workspace-relative dir ("" for root)
  ig: Ignore;
}

/** Tests whether a workspace-relative path is ignored (used by the watcher for single paths). */
export class IgnoreMatcher {
  private cache = new Map<string, Ignore | null>();
  private root: Ignore;
  constructor(
    private readonly workspace: string,
    extra: string[],
  ) {
    this.root = ignore().add(ALWAYS_IGNORED).add(extra);
  }

  async ignoredFile(rel: string): Promise<boolean> {
    return this.ignored(rel, false);
  }

  async ignored(rel: string, isDir: boolean): Promise<boolean> {
    const parts = rel.split("/");
    const layers: Layer[] = [{ base: "", ig: this.root }];
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (i > 0 && isIgnored(layers, dir, true)) return true;
      const ig = await this.layer(dir);
      if (ig) layers.push({ base: dir, ig });
    }
    return isIgnored(layers, rel, isDir);
  }

  private async layer(dir: string): Promise<Ignore | null> {
    if (this.cache.has(dir)) return this.cache.get(dir) ?? null;
    let ig: Ignore | null = null;
    try {
      const text = await fs.readFile(join(this.workspace, dir, ".gitignore"), "utf8");
      ig = ignore().add(text);
    } catch {
      ig = null;
    }
    this.cache.set(dir, ig);
    return ig;
  }

  /** Forget cached .gitignore files (call when one changes). */
  reset(): void {
    this.cache.clear();
  }
}

/**
 * Walk a directory tree under the workspace, honouring `.gitignore` files at
 * every level, the config ignore list and the always-ignored directories.
 * Symlinks are not followed. `under` restricts the walk to a subtree.
 */
export async function* walkWorkspace(
  workspace: string,
  extraIgnore: string[],
  under = "",
): AsyncGenerator<WalkEntry> {
  const rootIg = ignore().add(ALWAYS_IGNORED).add(extraIgnore);
  const layers: Layer[] = [{ base: "", ig: rootIg }];
  // collect .gitignore files of the ancestors of `under`
  if (under) {
    const parts = under.split("/");
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const ig = await readIgnore(join(workspace, dir));
      if (ig) layers.push({ base: dir, ig });
    }
  }
  yield* walkDir(workspace, under, layers);
}

async function readIgnore(absDir: string): Promise<Ignore | null> {
  try {
    return ignore().add(await fs.readFile(join(absDir, ".gitignore"), "utf8"));
  } catch {
    return null;
  }
}

function isIgnored(layers: Layer[], rel: string, isDir: boolean): boolean {
  for (const l of layers) {
    const sub = l.base ? rel.slice(l.base.length + 1) : rel;
    if (!sub) continue;
    if (l.ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}

async function* walkDir(workspace: string, rel: string, parentLayers: Layer[]): AsyncGenerator<WalkEntry> {
  const abs = rel ? join(workspace, rel) : workspace;
  let entries: Dirent[];
  try {
    entries = await fs.readdir(abs, { withFileTypes: true });
  } catch {
    return;
  }
  let layers = parentLayers;
  if (entries.some((e) => e.name === ".gitignore" && e.isFile())) {
    const ig = await readIgnore(abs);
    if (ig) layers = [...parentLayers, { base: rel, ig }];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (isIgnored(layers, childRel, true)) continue;
      yield* walkDir(workspace, childRel, layers);
    } else if (e.isFile()) {
      if (isIgnored(layers, childRel, false)) continue;
      const childAbs = join(abs, e.name);
      try {
        const st = await fs.stat(childAbs);
        yield { path: childRel, abs: childAbs, size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
      } catch {
        // vanished between readdir and stat
      }
    }
  }
}

/** Workspace-relative, forward-slash path of an absolute path (undefined when outside). */
export function toRel(workspace: string, abs: string): string | undefined {
  const r = relative(workspace, abs);
  if (!r || r.startsWith("..") || r.startsWith(sep === "/" ? "/" : "\\")) return undefined;
  return r.split(sep).join("/");
}

/** True when the first 8 KiB contain a NUL byte or are mostly not text. */
export function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 0) return true;
    if (c < 7 || (c > 13 && c < 32)) odd++;
  }
  return n > 0 && odd / n > 0.1;
}
