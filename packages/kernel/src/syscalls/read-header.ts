/**
 * The line an agent sees above a read's content (MCP and the flow orchestrator alike): the path, its
 * generation, and where a partial read stands — the lines shown out of how many, or that the requested
 * line is past the end, so an empty answer is never mistaken for an empty file.
 */
export function readHeader(r: Record<string, unknown>): string {
  let head = `${r.path}`;
  if (r.gen !== undefined) head += ` gen=${r.gen}`;
  if (pastEnd(r)) head += `, line ${r.offset} is past the end (${r.total_lines} lines)`;
  else if (r.truncated) head += `, lines ${r.offset}.. of ${r.total_lines}`;
  return `[${head}]`;
}

/** A line-range read that asked for a line after the file's last one. */
export function pastEnd(r: Record<string, unknown>): boolean {
  return (
    typeof r.offset === "number" && typeof r.total_lines === "number" && r.offset > Math.max(1, r.total_lines)
  );
}
