import * as fs from "node:fs";
import * as path from "node:path";
import { OstkRpcError } from "@ostk/lib";
import ignore, { type Ignore } from "ignore";
import { glob } from "tinyglobby";
import type { KernelCore } from "../core/kernel-core.js";
import type { CallContext } from "../core/types.js";
import { asParams, bool, int, str } from "./params.js";

const ALWAYS_SKIP = [".git", ".ostk", "node_modules"];

/**
 * Whether the caller may see a workspace path in a query result: the same read decision `fs/read` gets
 * (the policy guard's `readable`). Names and lines of paths it refuses never appear in list/glob/grep.
 */
export type Visible = (rel: string) => boolean;

function loadIgnore(root: string): Ignore {
  const ig = ignore().add(ALWAYS_SKIP.map((d) => `${d}/`));
  try {
    ig.add(fs.readFileSync(path.join(root, ".gitignore"), "utf8"));
  } catch {
    /* no .gitignore */
  }
  return ig;
}

/** fs/stat: existence, type, size, generation and hash as the kernel knows it. */
export async function fsStat(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", { allowEmpty: true }));
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(r.abs);
  } catch {
    st = null;
  }
  if (!st) {
    const row = core.gens.get(r.rel);
    return { path: r.rel, exists: false, gen: row?.gen ?? 0 };
  }
  if (st.isFile()) {
    const obs = await core.observe(r.rel, r.abs, ctx);
    const row = obs.row!;
    return {
      path: r.rel,
      exists: true,
      type: "file",
      size: st.size,
      mode: st.mode & 0o7777,
      mtime: st.mtimeMs,
      gen: row.gen,
      sha256: row.sha256,
      writer: row.writer,
    };
  }
  return {
    path: r.rel,
    exists: true,
    type: st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other",
    size: st.size,
    mode: st.mode & 0o7777,
    mtime: st.mtimeMs,
    gen: 0,
  };
}

/** fs/list: directory entries (optionally recursive to `depth`), .gitignore respected when `all` is not set. */
export async function fsList(core: KernelCore, _ctx: CallContext, raw: unknown, visible: Visible) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", { optional: true, allowEmpty: true }) ?? "");
  const depth = int(p, "depth", { min: 1, max: 32 }) ?? 1;
  const all = bool(p, "all") ?? false;
  const max = int(p, "max", { min: 1, max: 100_000 }) ?? 5000;
  const ig = all ? null : loadIgnore(core.ws.root);
  const entries: { path: string; type: string; size?: number; gen?: number }[] = [];
  let truncated = false;
  const walk = (abs: string, level: number) => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      if (level === 1) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw new OstkRpcError("NotFound", `${r.rel || "."} does not exist`);
        if (code === "ENOTDIR") throw new OstkRpcError("NotAFile", `${r.rel} is not a directory`);
      }
      return;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const d of dirents) {
      if (entries.length >= max) {
        truncated = true;
        return;
      }
      const childAbs = path.join(abs, d.name);
      const rel = core.ws.relOf(childAbs);
      const isDir = d.isDirectory();
      if (ig?.ignores(isDir ? `${rel}/` : rel)) continue;
      if (d.name.includes(".ostk-tmp-")) continue;
      // A hidden directory is still walked: a child the policy lets this caller read stays listed.
      if (!visible(rel)) {
        if (isDir && level < depth) walk(childAbs, level + 1);
        continue;
      }
      const type = isDir ? "dir" : d.isSymbolicLink() ? "symlink" : d.isFile() ? "file" : "other";
      const e: { path: string; type: string; size?: number; gen?: number } = { path: rel, type };
      if (type === "file") {
        try {
          e.size = fs.statSync(childAbs).size;
        } catch {
          /* raced */
        }
        const row = core.gens.get(rel);
        if (row) e.gen = row.gen;
      }
      entries.push(e);
      if (isDir && level < depth) walk(childAbs, level + 1);
    }
  };
  walk(r.abs, 1);
  return { path: r.rel, entries, truncated };
}

/** fs/glob: workspace paths matching a glob, sorted; .gitignore respected unless `all`. */
export async function fsGlob(core: KernelCore, _ctx: CallContext, raw: unknown, visible: Visible) {
  const p = asParams(raw);
  const pattern = str(p, "pattern", {});
  const base = core.ws.resolve(str(p, "path", { optional: true, allowEmpty: true }) ?? "");
  const all = bool(p, "all") ?? false;
  const max = int(p, "max", { min: 1, max: 100_000 }) ?? 1000;
  if (pattern.includes("..") || path.isAbsolute(pattern)) {
    throw new OstkRpcError("PathOutsideWorkspace", "glob patterns may not contain `..` or be absolute");
  }
  const found = await glob(pattern, {
    cwd: base.abs,
    dot: true,
    onlyFiles: false,
    followSymbolicLinks: false,
    ignore: ALWAYS_SKIP.map((d) => `**/${d}/**`),
    expandDirectories: false,
  });
  const ig = all ? null : loadIgnore(core.ws.root);
  const out: string[] = [];
  for (const f of found.sort()) {
    const rel = core.ws.relOf(path.join(base.abs, f.replace(/\/$/, "")));
    if (rel.includes(".ostk-tmp-") || ig?.ignores(rel) || !visible(rel)) continue;
    out.push(rel);
  }
  return { pattern, paths: out.slice(0, max), truncated: out.length > max };
}

/** fs/search: grep-style regular-expression search over text files. */
export async function fsSearch(core: KernelCore, _ctx: CallContext, raw: unknown, visible: Visible) {
  const p = asParams(raw);
  const pattern = str(p, "pattern", {});
  const include = str(p, "glob", { optional: true });
  const base = core.ws.resolve(str(p, "path", { optional: true, allowEmpty: true }) ?? "");
  const max = int(p, "max", { min: 1, max: 10_000 }) ?? 200;
  const ignoreCase = bool(p, "ignore_case") ?? false;
  if (pattern.length > 1000) throw new OstkRpcError("InvalidParams", "pattern: longer than 1000 characters");
  let re: RegExp;
  try {
    re = new RegExp(pattern, ignoreCase ? "i" : "");
  } catch (err) {
    throw new OstkRpcError("InvalidParams", `pattern: ${(err as Error).message}`);
  }
  let files: string[];
  let st: fs.Stats;
  try {
    st = fs.statSync(base.abs);
  } catch {
    throw new OstkRpcError("NotFound", `${base.rel || "."} does not exist`);
  }
  if (st.isFile()) files = visible(base.rel) ? [base.abs] : [];
  else {
    const rels = await glob(include ?? "**/*", {
      cwd: base.abs,
      dot: true,
      onlyFiles: true,
      followSymbolicLinks: false,
      ignore: ALWAYS_SKIP.map((d) => `**/${d}/**`),
    });
    const ig = loadIgnore(core.ws.root);
    files = rels
      .sort()
      .map((f) => path.join(base.abs, f))
      .filter((abs) => {
        const rel = core.ws.relOf(abs);
        return !ig.ignores(rel) && !abs.includes(".ostk-tmp-") && visible(rel);
      });
  }
  const matches: { path: string; line: number; text: string }[] = [];
  let truncated = false;
  outer: for (const abs of files) {
    let buf: Buffer;
    try {
      const s = fs.lstatSync(abs);
      if (!s.isFile() || s.size > 4 * 1024 * 1024) continue;
      buf = fs.readFileSync(abs);
    } catch {
      continue;
    }
    if (buf.subarray(0, 8000).includes(0)) continue;
    const lines = buf.toString("utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (re.test(lines[i])) {
        if (matches.length >= max) {
          truncated = true;
          break outer;
        }
        matches.push({ path: core.ws.relOf(abs), line: i + 1, text: lines[i].slice(0, 500) });
      }
    }
  }
  return { pattern, matches, truncated };
}
