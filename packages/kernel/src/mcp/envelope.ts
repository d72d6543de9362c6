/**
 * The status envelope appended to MCP tool results (reference format):
 *   [files] path:gen=N:writer:age   — files this session read that others changed since
 *   [304] path:gen=N (current)      — a re-read file that is unchanged
 *   [kernel] seq:N
 */
export interface EnvelopeInput {
  stale: { path: string; gen: number; writer: string; ageMs: number }[];
  unchanged?: { path: string; gen: number }[];
  headSeq?: number;
}

function age(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}

export function formatEnvelope(e: EnvelopeInput): string {
  const lines: string[] = [];
  for (const f of e.stale) lines.push(`[files] ${f.path}:gen=${f.gen}:${f.writer}:${age(f.ageMs)}`);
  for (const f of e.unchanged ?? []) lines.push(`[304] ${f.path}:gen=${f.gen} (current)`);
  if (e.headSeq !== undefined) lines.push(`[kernel] seq:${e.headSeq}`);
  return lines.join("\n");
}
