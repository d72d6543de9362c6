import { createHash } from "node:crypto";
import { codeChunks, hasGrammar } from "./code.js";
import { languageOf } from "./languages.js";
import { markdownChunks } from "./markdown.js";
import type { Chunk, RawChunk } from "./types.js";
import { windowChunks } from "./window.js";

export function sha256(s: string | Buffer): string {
  return createHash("sha256").update(s).digest("hex");
}

/**
 * Split one file into chunks with deterministic ids. The id covers the source,
 * path, symbol (or window position) with its occurrence number, and the content
 * hash, so an unchanged chunk keeps its id (and its embedding) across re-scans.
 */
export async function chunkFile(path: string, text: string, source = "workspace"): Promise<Chunk[]> {
  const lang = languageOf(path);
  let raw: RawChunk[] | null = null;
  if (lang === "markdown") raw = markdownChunks(text);
  else if (hasGrammar(lang)) raw = await codeChunks(text, lang);
  if (!raw) raw = windowChunks(text.split("\n"));
  const seen = new Map<string, number>();
  return raw.map((c) => {
    const key = `${c.kind}:${c.symbol ?? ""}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const id = sha256(`${source}\0${path}\0${key}#${n}\0${sha256(c.text)}`).slice(0, 24);
    return { ...c, id, source, path, lang };
  });
}
