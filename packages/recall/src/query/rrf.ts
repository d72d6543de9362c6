/** Reciprocal-rank fusion: score(d) = Σ over lanes of 1 / (k + rank). */
export function rrf(
  lanes: Record<string, string[]>,
  k = 60,
): Map<string, { score: number; lanes: string[] }> {
  const out = new Map<string, { score: number; lanes: string[] }>();
  for (const [lane, ids] of Object.entries(lanes)) {
    ids.forEach((id, i) => {
      const e = out.get(id) ?? { score: 0, lanes: [] };
      e.score += 1 / (k + i + 1);
      e.lanes.push(lane);
      out.set(id, e);
    });
  }
  return out;
}
