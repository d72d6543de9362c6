import type { RawChunk } from "./types.js";

export const WINDOW_LINES = 200;
export const WINDOW_OVERLAP = 20;

/** Fixed line windows (200 lines, 20 overlap) over lines[from..to] (0-based, inclusive). */
export function windowChunks(
  lines: string[],
  from = 0,
  to = lines.length - 1,
  symbol: string | null = null,
  kind = "window",
): RawChunk[] {
  const out: RawChunk[] = [];
  if (to < from) return out;
  const step = WINDOW_LINES - WINDOW_OVERLAP;
  for (let s = from; s <= to; s += step) {
    const e = Math.min(to, s + WINDOW_LINES - 1);
    const text = lines.slice(s, e + 1).join("\n");
    if (text.trim()) out.push({ startLine: s + 1, endLine: e + 1, symbol, kind, text });
    if (e >= to) break;
  }
  return out;
}
