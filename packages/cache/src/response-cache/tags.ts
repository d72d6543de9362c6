import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import type { Json } from "../wire/anthropic";

const PATH = /(?:~|\.{1,2})?\/?(?:[\w.@+-]+\/)+[\w.@+-]+|[\w@+-][\w.@+-]*\.[A-Za-z0-9]{1,8}\b/g;
const MIN_LINE = 16;
const MAX_TAGS = 8000;

const h = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 20);
export const pathTag = (p: string) => `p:${h(p)}`;
export const lineTag = (l: string) => `l:${h(l)}`;

function strings(v: Json, out: string[]): void {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
}

/** Every path suffix of a path token: `/a/b/c.ts` → `a/b/c.ts`, `b/c.ts`, `c.ts`. */
function suffixes(token: string): string[] {
  const parts = token
    .replace(/^[~.]*\/+/, "")
    .split("/")
    .filter(Boolean);
  return parts.map((_, i) => parts.slice(i).join("/"));
}

/**
 * Invalidation tags for a request: hashes of every path-like token (with its suffixes) and of
 * every non-trivial line of text it carries. Only hashes are stored, never the text.
 */
export function requestTags(body: Json): string[] {
  const texts: string[] = [];
  strings([body?.system, body?.messages, body?.input, body?.instructions], texts);
  const tags = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(PATH)) for (const s of suffixes(m[0])) tags.add(pathTag(s));
    for (const line of t.split(/\r?\n/)) {
      const l = line.trim();
      if (l.length >= MIN_LINE) tags.add(lineTag(l));
      if (tags.size >= MAX_TAGS) break;
    }
    if (tags.size >= MAX_TAGS) break;
  }
  return [...tags];
}

/** Tags to mark stale for changed files: workspace-relative path (and absolute form) and old content lines. */
export function invalidationTags(
  workspace: string,
  change: { paths?: string[]; contents?: string[] },
): { pathTags: string[]; contentTags: string[][] } {
  const pathTags = new Set<string>();
  for (const p of change.paths ?? []) {
    const rel = isAbsolute(p) ? relative(workspace, p) : p.replace(/^\.\//, "");
    if (rel && !rel.startsWith("..")) pathTags.add(pathTag(rel));
    pathTags.add(pathTag(suffixes(p).join("/") ? suffixes(p)[0] : p));
  }
  const contentTags = (change.contents ?? []).map((c) => [
    ...new Set(
      c
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length >= MIN_LINE)
        .map(lineTag),
    ),
  ]);
  return { pathTags: [...pathTags], contentTags };
}
