import type { ChunkRow } from "../store/sqlite-store.js";
import { normTerms, type ParsedQuery } from "../tokenize.js";

export interface Candidate {
  row: ChunkRow;
  fused: number;
  lanes: string[];
}

export interface RerankWeights {
  fused: number;
  coverage: number;
  symbol: number;
  path: number;
  proximity: number;
  exact: number;
}

export const DEFAULT_WEIGHTS: RerankWeights = {
  fused: 1,
  coverage: 0.5,
  symbol: 0.7,
  path: 0.25,
  proximity: 0.25,
  exact: 2,
};

function lastSegment(symbol: string): string {
  const i = symbol.lastIndexOf(".");
  return i >= 0 ? symbol.slice(i + 1) : symbol;
}

function baseName(path: string): string {
  const b = path.slice(path.lastIndexOf("/") + 1);
  const d = b.indexOf(".");
  return d > 0 ? b.slice(0, d) : b;
}

/** Minimal window (in tokens) covering every distinct query term the chunk contains; 0..1, higher = closer. */
function proximity(tokens: string[], q: Set<string>): number {
  const pos: [number, string][] = [];
  tokens.forEach((t, i) => {
    if (q.has(t)) pos.push([i, t]);
  });
  const distinct = new Set(pos.map((p) => p[1])).size;
  if (distinct < 2) return 0;
  const counts = new Map<string, number>();
  let have = 0;
  let best = Number.POSITIVE_INFINITY;
  let lo = 0;
  for (let hi = 0; hi < pos.length; hi++) {
    const t = pos[hi][1];
    counts.set(t, (counts.get(t) ?? 0) + 1);
    if (counts.get(t) === 1) have++;
    while (have === distinct) {
      best = Math.min(best, pos[hi][0] - pos[lo][0] + 1);
      const lt = pos[lo][1];
      counts.set(lt, (counts.get(lt) ?? 0) - 1);
      if (counts.get(lt) === 0) have--;
      lo++;
    }
  }
  return Math.min(1, distinct / best);
}

export interface Scored extends Candidate {
  score: number;
  features: Record<string, number>;
}

/**
 * Feature reranker over fused candidates: query-term coverage, how much of the
 * symbol name and file name the query explains, term proximity, and exact
 * identifier hits for identifier-shaped queries.
 */
export function rerank(pq: ParsedQuery, cands: Candidate[], w: RerankWeights = DEFAULT_WEIGHTS): Scored[] {
  const q = new Set(pq.terms);
  const maxFused = Math.max(1e-9, ...cands.map((c) => c.fused));
  const ident = pq.identifier?.toLowerCase();
  return cands
    .map((c) => {
      const tokens = normTerms(c.row.text.length > 8000 ? c.row.text.slice(0, 8000) : c.row.text);
      const tset = new Set(tokens);
      let covered = 0;
      for (const t of q) if (tset.has(t)) covered++;
      const coverage = q.size ? covered / q.size : 0;
      const sym = c.row.symbol ? lastSegment(c.row.symbol) : "";
      const symTerms = [...new Set(normTerms(sym))];
      const symbol = symTerms.length ? symTerms.filter((t) => q.has(t)).length / symTerms.length : 0;
      const pathTerms = [...new Set(normTerms(baseName(c.row.path)))];
      const path = pathTerms.length ? pathTerms.filter((t) => q.has(t)).length / pathTerms.length : 0;
      const prox = proximity(tokens, q);
      let exact = 0;
      if (ident) {
        if (sym.toLowerCase() === ident) exact = 1;
        else if (baseName(c.row.path).toLowerCase() === ident) exact = 0.6;
        else if (c.row.text.toLowerCase().includes(ident)) exact = 0.2;
      }
      const features = { fused: c.fused / maxFused, coverage, symbol, path, proximity: prox, exact };
      const score =
        w.fused * features.fused +
        w.coverage * coverage +
        w.symbol * symbol +
        w.path * path +
        w.proximity * prox +
        w.exact * exact;
      return { ...c, score, features };
    })
    .sort((a, b) => b.score - a.score);
}
