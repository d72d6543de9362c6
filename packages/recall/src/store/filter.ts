/** What a chunk came from. Workspace files are `code` or `docs` (by language). */
export type SourceName = "code" | "docs" | "transcript" | "journal";

export const SOURCES: readonly SourceName[] = ["code", "docs", "transcript", "journal"];

/**
 * Sources searched when a query names none. Journal events are left out: every
 * change to a file would otherwise compete with the file's own code for its
 * slots in the result list; ask for them with `source: ["journal"]`.
 */
export const DEFAULT_SOURCES: readonly SourceName[] = ["code", "docs", "transcript"];

/** Languages whose files are indexed as `docs` rather than `code`. */
const DOC_LANGS = new Set(["markdown", "text"]);

export function sourceOfLang(lang: string): SourceName {
  return DOC_LANGS.has(lang) ? "docs" : "code";
}

/** Filters a caller gives (MCP, RPC, CLI, API). */
export interface SearchFilter {
  /** Only these sources (default DEFAULT_SOURCES). */
  source?: SourceName[];
  /** A path prefix (`src/`), or a glob (`src/**\/*.ts`, `*.md`) when it has `*`, `?`, `[` or `{`. */
  path?: string;
  lang?: string;
  /** ISO date/time, epoch milliseconds, or a duration back from now (`90s`, `30m`, `2h`, `7d`, `2w`). */
  since?: string | number;
  until?: string | number;
}

/** A filter ready for both lanes. */
export interface ResolvedFilter {
  /** Undefined = every source. */
  sources?: SourceName[];
  pathPrefix?: string;
  /** Exact path test for a glob (`pathPrefix` then holds its literal prefix). */
  pathGlob?: RegExp;
  lang?: string;
  /** Epoch milliseconds, inclusive. */
  since?: number;
  until?: number;
}

export class FilterError extends Error {}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `2h`, `7d`, ISO 8601, or epoch ms → epoch ms. */
export function parseTime(v: string | number, now = Date.now()): number {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new FilterError(`time ${v} is not a number`);
    return v;
  }
  const s = v.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(s);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase()];
  if (/^\d{10,}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw new FilterError(
      `cannot read the time "${v}": give an ISO date/time (2026-11-20, 2026-11-20T14:00Z) or a duration back from now (30m, 2h, 7d, 2w)`,
    );
  return t;
}

const GLOB_CHARS = /[*?[{]/;

/**
 * A glob as a RegExp over workspace-relative paths: `**` crosses directories,
 * `*` and `?` do not, `[abc]` and `{a,b}` as usual. A pattern without `/`
 * matches the file name anywhere (`*.md`), like .gitignore.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (inClass) {
      re += c === "\\" ? "\\\\" : c;
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      inClass = true;
      re += "[";
      if (glob[i + 1] === "!") {
        re += "^";
        i++;
      }
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += c.replace(/[.+^$()|\\\]]/g, "\\$&");
  }
  if (inClass || braces) throw new FilterError(`path glob "${glob}" has an unclosed [ or {`);
  const anchored = glob.includes("/") ? `^${re.replace(/^\//, "")}$` : `(?:^|/)${re}$`;
  return new RegExp(anchored);
}

export function resolveFilter(f: SearchFilter, now = Date.now()): ResolvedFilter {
  const out: ResolvedFilter = {};
  if (f.source !== undefined) {
    const bad = f.source.filter((s) => !SOURCES.includes(s));
    if (bad.length) throw new FilterError(`unknown source ${bad.join(", ")}; sources: ${SOURCES.join(", ")}`);
    if (!f.source.length)
      throw new FilterError("source needs at least one of code, docs, transcript, journal");
  }
  const src = f.source ?? DEFAULT_SOURCES;
  if (!SOURCES.every((s) => src.includes(s))) out.sources = [...new Set(src)];
  if (f.path) {
    const p = f.path.replace(/^\.\//, "");
    if (GLOB_CHARS.test(p)) {
      out.pathGlob = globToRegExp(p);
      const lit = p.slice(0, p.search(GLOB_CHARS));
      if (p.includes("/") && lit) out.pathPrefix = lit;
    } else out.pathPrefix = p;
  }
  if (f.lang) out.lang = f.lang;
  if (f.since !== undefined) out.since = parseTime(f.since, now);
  if (f.until !== undefined) out.until = parseTime(f.until, now);
  if (out.since !== undefined && out.until !== undefined && out.since > out.until)
    throw new FilterError("since is later than until: nothing can match");
  return out;
}

/** True when the filter restricts nothing. */
export function isEmptyFilter(f: ResolvedFilter): boolean {
  return (
    !f.sources && !f.pathPrefix && !f.pathGlob && !f.lang && f.since === undefined && f.until === undefined
  );
}

/** True when the filter restricts sources and nothing else (the common default: all but the journal). */
export function onlySources(f: ResolvedFilter): f is ResolvedFilter & { sources: SourceName[] } {
  return (
    !!f.sources && !f.pathPrefix && !f.pathGlob && !f.lang && f.since === undefined && f.until === undefined
  );
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The LanceDB (DataFusion SQL) `where` for a filter; undefined when nothing is filtered. */
export function lanceWhere(f: ResolvedFilter): string | undefined {
  const w: string[] = [];
  if (f.sources) w.push(`source IN (${f.sources.map(q).join(", ")})`);
  if (f.pathPrefix) w.push(`path LIKE ${q(`${f.pathPrefix.replace(/[\\%_]/g, "\\$&")}%`)}`);
  // RegExp#source writes "/" as "\/"; the Rust regex engine wants it plain
  if (f.pathGlob) w.push(`regexp_like(path, ${q(f.pathGlob.source.replace(/\\\//g, "/"))})`);
  if (f.lang) w.push(`lang = ${q(f.lang)}`);
  if (f.since !== undefined) w.push(`ts >= ${Math.floor(f.since)}`);
  if (f.until !== undefined) w.push(`ts <= ${Math.ceil(f.until)}`);
  return w.length ? w.join(" AND ") : undefined;
}
