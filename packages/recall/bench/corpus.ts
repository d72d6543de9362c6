/**
 * Benchmark corpus: real npm packages nobody here wrote, fetched with `npm pack`
 * into a cache directory at bench time, and labelled queries taken from their
 * READMEs (documentation, kept out of the index). These packages are excluded
 * from the embedder's training corpus (training/corpus.json).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LabelledQuery } from "../src/commands/eval.js";

export const BENCH_PACKAGES = [
  "validator@13.12.0",
  "semver@7.6.3",
  "d3-array@3.2.4",
  "d3-scale@4.0.2",
  "d3-shape@3.2.0",
];

/** Directories of each package that hold its source (READMEs, bundles and duplicate builds are not indexed). */
const SOURCE_DIRS: Record<string, string[]> = {
  validator: ["lib"],
  semver: ["classes", "functions", "internal", "ranges", "index.js"],
  "d3-array": ["src"],
  "d3-scale": ["src"],
  "d3-shape": ["src"],
};

export const CACHE_DIR = join(
  process.env.OSTK_RECALL_BENCH_CACHE ??
    join(import.meta.dirname, "..", "node_modules", ".cache", "ostk-recall-bench"),
);

/** Fetch (once) and unpack each package; returns name → unpacked dir. */
export function fetchPackages(specs = BENCH_PACKAGES, cache = CACHE_DIR): Map<string, string> {
  mkdirSync(cache, { recursive: true });
  const out = new Map<string, string>();
  for (const spec of specs) {
    const name = spec.slice(0, spec.lastIndexOf("@"));
    const dir = join(cache, spec.replace(/[@/]/g, "_"));
    if (!existsSync(join(dir, "package", "package.json"))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const tgz = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], {
        encoding: "utf8",
      })
        .trim()
        .split("\n")
        .pop() as string;
      execFileSync("tar", ["xzf", join(dir, tgz), "-C", dir]);
    }
    out.set(name, join(dir, "package"));
  }
  return out;
}

export function sourceDirs(name: string): string[] {
  return SOURCE_DIRS[name] ?? ["src", "lib"];
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Documentation text → a natural-language query: markup stripped, the documented name removed, ≤ 40 words. */
export function cleanQuery(text: string, name: string): string {
  let t = text
    .replace(/<br\s*\/?>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*_#|]/g, " ");
  // the documented identifier is removed when it is compound (isEmail); plain words (contains, domain) stay
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  t = t.replace(new RegExp(`\\bd3\\.${esc}\\b`, "g"), " ");
  if (/[A-Z0-9_]/.test(name)) t = t.replace(new RegExp(`\\b${esc}\\b`, "g"), " ");
  const sentences = t
    .split(/(?<=[.!?])\s+/)
    .slice(0, 2)
    .join(" ");
  return sentences.split(/\s+/).filter(Boolean).slice(0, 40).join(" ");
}

function filesByNorm(root: string, dirs: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const walk = (rel: string) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    if (rel.endsWith(".js")) {
      const base = rel.slice(rel.lastIndexOf("/") + 1, -3);
      map.set(norm(base), [...(map.get(norm(base)) ?? []), rel]);
      return;
    }
    for (const e of readdirSync(abs, { withFileTypes: true }))
      if (e.isDirectory() || e.name.endsWith(".js")) walk(`${rel}/${e.name}`);
  };
  for (const d of dirs) {
    if (d.endsWith(".js")) map.set(norm(d.slice(0, -3)), [d]);
    else walk(d);
  }
  return map;
}

/** Labelled queries from a package's README; paths are relative to the bench workspace (`<name>/...`). */
export function readmeQueries(name: string, root: string): LabelledQuery[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const files = filesByNorm(root, sourceDirs(name));
  const out: LabelledQuery[] = [];
  const add = (fn: string, desc: string, explicit?: string) => {
    const paths = explicit ? [explicit] : (files.get(norm(fn)) ?? []);
    const query = cleanQuery(desc, fn);
    if (!paths.length || query.split(" ").length < 4) return;
    if (paths.some((p) => !existsSync(join(root, p)))) return;
    out.push({ query, paths: paths.map((p) => `${name}/${p}`) });
  };
  if (name === "validator") {
    for (const m of readme.matchAll(/^\*\*(\w+)\([^)]*\)\*\*\s*\|\s*(.+)$/gm)) add(m[1], m[2]);
  } else if (name === "semver") {
    const lines = readme.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const m = /^\* `(\w+)\([^)]*\)`:\s*(.*)$/.exec(lines[i]);
      if (!m) continue;
      let desc = m[2];
      for (let j = i + 1; j < lines.length && /^\s{2,}\S/.test(lines[j]); j++) desc += ` ${lines[j].trim()}`;
      add(m[1], desc);
    }
  } else {
    // d3 style: <a name="x" ...>#</a> d3.<b>x</b>(…) · [Source](…/src/file.js…) followed by a description paragraph
    const lines = readme.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const m = /<b>([\w$]+)<\/b>.*\[Source\]\(https:\/\/github\.com\/[^)]*?\/(src\/[\w/.-]+?\.js)/.exec(
        lines[i],
      );
      if (!m) continue;
      let j = i + 1;
      while (j < lines.length && !lines[j].trim()) j++;
      const para: string[] = [];
      while (
        j < lines.length &&
        lines[j].trim() &&
        !lines[j].startsWith("<a name") &&
        !lines[j].startsWith("```")
      )
        para.push(lines[j++]);
      add(m[1], para.join(" "), m[2]);
    }
  }
  // one query per distinct text
  const seen = new Set<string>();
  return out.filter((q) => {
    if (seen.has(q.query)) return false;
    seen.add(q.query);
    return true;
  });
}

/** Copy the benchmark packages' sources into `<root>/ws/<name>/…` and collect their README queries. */
export function buildBenchWorkspace(
  root: string,
  specs: string[] = BENCH_PACKAGES,
): { ws: string; queries: LabelledQuery[] } {
  const pkgs = fetchPackages(specs);
  const ws = join(root, "ws");
  const queries: LabelledQuery[] = [];
  for (const [name, dir] of pkgs) {
    for (const d of sourceDirs(name))
      if (existsSync(join(dir, d))) cpSync(join(dir, d), join(ws, name, d), { recursive: true });
    queries.push(...readmeQueries(name, dir));
  }
  return { ws, queries };
}
