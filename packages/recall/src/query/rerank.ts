import type { ChunkRow } from "../store/sqlite-store.js";
import { normTerms, type ParsedQuery } from "../tokenize.js";

export interface Candidate {
  row: ChunkRow;
  fused: number;
  lanes: string[];
  /** 0-based rank per lane that found it. */
  ranks: Record<string, number>;
  /** Cosine similarity between the query vector and the chunk vector, when known. */
  cosine?: number;
  /** BM25 score relative to the best BM25 hit (0..1). */
  bm25Score?: number;
}

/** Per-query context for the features. */
export interface QueryContext {
  pq: ParsedQuery;
  q: Set<string>;
  idf: Map<string, number>;
  maxFused: number;
  translate?: Translate;
  /** Candidates per file (files with several matching chunks are more likely relevant). */
  perFile: Map<string, number>;
}

/** Linear reranker weights; tuned on the dev half of the benchmark queries (bench/tune.ts). */
export interface RerankWeights {
  fused: number;
  bm25: number;
  vector: number;
  cosine: number;
  coverage: number;
  symbol: number;
  path: number;
  proximity: number;
  exact: number;
  translation: number;
  bm25Score: number;
  idfCoverage: number;
  fileSupport: number;
  symbolChunk: number;
  nameCoverage: number;
}

export type Translate = (queryTerms: string[], chunkTerms: Set<string>) => number;

export const DEFAULT_WEIGHTS: RerankWeights = {
  // tuned by bench/tune.ts (coordinate ascent from 5 starts on the dev half of the benchmark queries; best dev wins)
  fused: 0,
  bm25: 2.08,
  vector: 0.74,
  cosine: 1.19,
  coverage: 0.72,
  symbol: 0.24,
  path: 1.66,
  proximity: 0.73,
  exact: 0.56,
  translation: 2.24,
  bm25Score: 2.34,
  idfCoverage: 0.74,
  fileSupport: 0,
  symbolChunk: 0.36,
  nameCoverage: 1.64,
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
  for (let i = 0; i < tokens.length; i++) if (q.has(tokens[i])) pos.push([i, tokens[i]]);
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

export type Features = Record<keyof RerankWeights, number>;

export interface Scored extends Candidate {
  score: number;
  features: Features;
}

/** A name part matches a query term exactly or as an abbreviation (hex ↔ hexadecimal, int ↔ integer). */
function nameMatch(part: string, q: Set<string>): number {
  if (q.has(part)) return 1;
  if (part.length < 3) return 0;
  for (const t of q) if (t.length >= 3 && (t.startsWith(part) || part.startsWith(t))) return 0.8;
  return 0;
}

function nameScore(parts: string[], q: Set<string>): number {
  if (!parts.length) return 0;
  let s = 0;
  for (const p of parts) s += nameMatch(p, q);
  return s / parts.length;
}

/** IDF-weighted share of the query's terms that the symbol or file name explains (exactly or as an abbreviation). */
function nameCoverage(parts: string[], q: Set<string>, idf: Map<string, number>): number {
  if (!parts.length) return 0;
  let got = 0;
  let total = 0;
  for (const t of q) {
    const w = idf.get(t) ?? 1;
    total += w;
    for (const p of parts) {
      if (p === t || (p.length >= 3 && t.length >= 3 && (t.startsWith(p) || p.startsWith(t)))) {
        got += w;
        break;
      }
    }
  }
  return total ? got / total : 0;
}

const SYMBOL_KINDS = new Set(["function", "method", "class", "type", "impl"]);

/** Reciprocal-rank features use the same k as the fusion. */
const K = 60;

/** Feature vector of one candidate (exported for the tuning script). */
export function features(ctx: QueryContext, c: Candidate): Features {
  const { pq, q, maxFused, translate, idf } = ctx;
  const tokens = c.row.nterms ? c.row.nterms.split(" ") : normTerms(c.row.text);
  const tset = new Set(tokens);
  let covered = 0;
  let wCovered = 0;
  let wTotal = 0;
  for (const t of q) {
    const w = idf.get(t) ?? 1;
    wTotal += w;
    if (tset.has(t)) {
      covered++;
      wCovered += w;
    }
  }
  const sym = c.row.symbol ? lastSegment(c.row.symbol) : "";
  const symTerms = [...new Set(normTerms(sym))];
  const pathTerms = [...new Set(normTerms(baseName(c.row.path)))];
  const ident = pq.identifier?.toLowerCase();
  let exact = 0;
  if (ident) {
    if (sym.toLowerCase() === ident) exact = 1;
    else if (baseName(c.row.path).toLowerCase() === ident) exact = 0.6;
    else if (c.row.text.toLowerCase().includes(ident)) exact = 0.2;
  }
  const rr = (lane: string) => (c.ranks[lane] === undefined ? 0 : K / (K + c.ranks[lane]));
  return {
    fused: c.fused / maxFused,
    bm25: rr("bm25"),
    vector: rr("vector"),
    cosine: c.cosine ?? 0,
    coverage: q.size ? covered / q.size : 0,
    symbol: nameScore(symTerms, q),
    path: nameScore(pathTerms, q),
    proximity: proximity(tokens, q),
    exact,
    translation: translate ? translate([...q], tset) : 0,
    bm25Score: c.bm25Score ?? 0,
    idfCoverage: wTotal ? wCovered / wTotal : 0,
    fileSupport: Math.min(3, (ctx.perFile.get(c.row.path) ?? 1) - 1) / 3,
    symbolChunk: SYMBOL_KINDS.has(c.row.kind) ? 1 : 0,
    nameCoverage: nameCoverage([...symTerms, ...pathTerms], q, idf),
  };
}

export function scoreOf(f: Features, w: RerankWeights): number {
  let s = 0;
  for (const k of Object.keys(w) as (keyof RerankWeights)[]) s += w[k] * f[k];
  return s;
}

/**
 * Feature reranker over fused candidates: per-lane reciprocal ranks, query/chunk
 * vector cosine, query-term coverage, how much of the symbol name and file name
 * the query explains, term proximity, and exact identifier hits.
 */
export function queryContext(
  pq: ParsedQuery,
  cands: Candidate[],
  idf: Map<string, number>,
  translate?: Translate,
): QueryContext {
  const perFile = new Map<string, number>();
  for (const c of cands) perFile.set(c.row.path, (perFile.get(c.row.path) ?? 0) + 1);
  return {
    pq,
    q: new Set(pq.terms),
    idf,
    maxFused: Math.max(1e-9, ...cands.map((c) => c.fused)),
    translate,
    perFile,
  };
}

export function rerank(ctx: QueryContext, cands: Candidate[], w: RerankWeights = DEFAULT_WEIGHTS): Scored[] {
  return cands
    .map((c) => {
      const f = features(ctx, c);
      return { ...c, score: scoreOf(f, w), features: f };
    })
    .sort((a, b) => b.score - a.score);
}
