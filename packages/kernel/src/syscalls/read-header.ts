/**
 * The line an agent sees above a read's content (MCP and the flow orchestrator alike): the path, its
 * generation, and where a partial read stands — the lines shown out of how many, or that the requested
 * line is past the end, so an empty answer is never mistaken for an empty file.
 */
export function readHeader(r: Record<string, unknown>): string {
  let head = `${r.path}`;
  if (r.gen !== undefined) head += ` gen=${r.gen}`;
  const offset = Number(r.offset);
  const total = Number(r.total_lines);
  if (r.offset !== undefined && r.total_lines !== undefined && offset > Math.max(1, total))
    head += `, line ${offset} is past the end (${total} lines)`;
  else if (r.truncated) head += `, lines ${offset}.. of ${total}`;
  return `[${head}]`;
}
