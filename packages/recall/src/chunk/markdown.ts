import type { RawChunk } from "./types.js";
import { WINDOW_LINES, windowChunks } from "./window.js";

/** Markdown split at headings; each section's symbol is its heading path ("Install > npm"). */
export function markdownChunks(text: string): RawChunk[] {
  const lines = text.split("\n");
  const out: RawChunk[] = [];
  const stack: { level: number; title: string }[] = [];
  let start = 0;
  let title: string | null = null;
  let inFence = false;
  const flush = (end: number) => {
    if (end < start) return;
    const body = lines.slice(start, end + 1).join("\n");
    if (!body.trim()) return;
    if (end - start + 1 > WINDOW_LINES) out.push(...windowChunks(lines, start, end, title, "section"));
    else out.push({ startLine: start + 1, endLine: end + 1, symbol: title, kind: "section", text: body });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    flush(i - 1);
    const level = m[1].length;
    while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
    stack.push({ level, title: m[2] });
    title = stack.map((s) => s.title).join(" > ");
    start = i;
  }
  flush(lines.length - 1);
  return out;
}
