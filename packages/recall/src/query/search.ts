import { type Embedder, embedText } from "../embed/embedder.js";
import type { SearchFilter } from "../store/filter.js";
import type { ChunkRow, SqliteStore } from "../store/sqlite-store.js";
import type { VectorStore } from "../store/vector-store.js";
import { type ParsedQuery, parseQuery } from "../tokenize.js";
import type { CrossEncoder } from "./cross-encoder.js";
import {
  type Candidate,
  DEFAULT_WEIGHTS,
  type QueryContext,
  queryContext,
  type RerankWeights,
  rerank,
} from "./rerank.js";
import { rrf } from "./rrf.js";

export type Lane = "bm25" | "vector";

/** Filters (source, path prefix or glob, lang, since/until) are SearchFilter's. */
export interface SearchOptions extends SearchFilter {
  limit?: number;
  /** Lanes to use (default both). */
  lanes?: Lane[];
  /** Skip the reranker (fusion order only). */
  rerank?: boolean;
  maxPerFile?: number;
  /** Score taken off each further chunk of an already listed file (default FILE_DEMOTION). */
  fileDemotion?: number;
  weights?: RerankWeights;
  /** BM25 keeps this many of the query's rarest terms (default 8; fewer is faster at scale). */
  maxQueryTerms?: number;
  /** Re-orders the reranker's top `crossEncoderTop` hits (not with `rerank: false`). */
  crossEncoder?: CrossEncoder;
  crossEncoderTop?: number;
}

export interface Hit {
  id: string;
  path: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  kind: string;
  lang: string;
  /** code, docs, transcript or journal. */
  source: string;
  /** ISO time: the file's mtime when this content was indexed, the exchange's or the journal entry's time. */
  time: string | null;
  snippet: string;
  score: number;
  lanes: Lane[];
  /** The cross-encoder's relevance (logit), on the hits it re-ordered. */
  crossScore?: number;
}

export interface SearchResult {
  query: string;
  hits: Hit[];
  tookMs: number;
  lanes: Lane[];
  /** Set when part of the pipeline failed and the hits come without it (a cross-encoder that threw). */
  warnings?: string[];
}

const RRF_K = 60;
/** Score taken off each further chunk of a file already listed (result diversity; tuned with the reranker). */
export const FILE_DEMOTION = 5;

/**
 * Orders scored chunks with at most `maxPerFile` per file; the n-th chunk of a
 * file (n ≥ 1) loses `demotion × n` so that other files' best chunks come first
 * unless the same file is clearly better.
 */
export function diversify<T extends { row: ChunkRow; score: number }>(
  scored: T[],
  demotion: number,
  maxPerFile: number,
): T[] {
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const seen = new Map<string, number>();
  const out: { s: T; eff: number }[] = [];
  for (const s of sorted) {
    // a journal event or a transcript exchange is an item of its own, not one more chunk of a file
    const key = s.row.source === "journal" || s.row.source === "transcript" ? `\0${s.row.id}` : s.row.path;
    const n = seen.get(key) ?? 0;
    if (n >= maxPerFile) continue;
    seen.set(key, n + 1);
    out.push({ s, eff: s.score - demotion * n });
  }
  return out.sort((a, b) => b.eff - a.eff).map((x) => x.s);
}

/** Run the lanes, fuse, and collect candidates (with cosine when the embedder is cheap). */
export async function gatherCandidates(
  store: SqliteStore,
  vectors: VectorStore,
  embedder: Embedder,
  query: string,
  opts: SearchOptions = {},
): Promise<{ pq: ParsedQuery; cands: Candidate[]; lanes: Lane[]; limit: number; ctx: QueryContext }> {
  const limit = Math.max(1, Math.min(opts.limit ?? 10, 100));
  const lanes = opts.lanes ?? ["bm25", "vector"];
  const prefetch = Math.max(80, limit * 8);
  const pq = parseQuery(query);
  const filter = store.resolveFilter(opts);
  // the vector lane runs on LanceDB's threads while SQLite answers the BM25 lane
  // embed first, then start the vector search (LanceDB works on its own threads) before the synchronous BM25 lane
  const needVec = lanes.includes("vector") || opts.rerank !== false;
  const qvec = needVec ? (await embedder.embed([query]))[0] : null;
  const vecPromise =
    lanes.includes("vector") && qvec ? vectors.search(qvec, prefetch, filter) : Promise.resolve([]);
  const ranked: Record<string, string[]> = {};
  const bm25Score = new Map<string, number>();
  if (lanes.includes("bm25")) {
    const expr = store.matchExpression([...pq.whole, ...pq.parts], opts.maxQueryTerms);
    const hits = expr ? store.bm25(expr, prefetch, filter) : [];
    ranked.bm25 = hits.map((h) => h.id);
    const best = hits.length ? hits[0].score : -1;
    for (const h of hits) bm25Score.set(h.id, best < 0 ? h.score / best : 0);
  }
  const vecHits = await vecPromise;
  if (lanes.includes("vector")) ranked.vector = vecHits.map((h) => h.id);
  const fused = rrf(ranked, RRF_K);
  const top = [...fused.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, prefetch);
  const rows = store.chunksByIds(top.map(([id]) => id));
  const cands: Candidate[] = [];
  for (const [id, f] of top) {
    const row = rows.get(id);
    if (!row) continue;
    const ranks: Record<string, number> = {};
    for (const [lane, ids] of Object.entries(ranked)) {
      const r = ids.indexOf(id);
      if (r >= 0) ranks[lane] = r;
    }
    cands.push({ row, fused: f.score, lanes: f.lanes, ranks, bm25Score: bm25Score.get(id) });
  }
  if (opts.rerank !== false && qvec) {
    // every candidate (BM25-only ones too) is scored against the query with its stored vector
    const qv = qvec;
    for (const c of cands) {
      const v = c.row.vec;
      if (!v || v.length !== qv.length) continue;
      let s = 0;
      for (let k = 0; k < qv.length; k++) s += qv[k] * ((v[k] << 24) >> 24);
      c.cosine = s / 127;
    }
  }
  const ctx = queryContext(
    pq,
    cands,
    opts.rerank === false ? new Map() : store.idf(pq.terms),
    embedder.translate?.bind(embedder),
  );
  return { pq, cands, lanes, limit, ctx };
}

export async function search(
  store: SqliteStore,
  vectors: VectorStore,
  embedder: Embedder,
  query: string,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  const t0 = performance.now();
  const { pq, cands, lanes, limit, ctx } = await gatherCandidates(store, vectors, embedder, query, opts);
  const scored =
    opts.rerank === false
      ? cands.map((c) => ({ ...c, score: c.fused }))
      : rerank(ctx, cands, opts.weights ?? DEFAULT_WEIGHTS);
  const ordered = diversify(scored, opts.fileDemotion ?? FILE_DEMOTION, opts.maxPerFile ?? 3);
  const warnings: string[] = [];
  let cross: Map<string, number> | undefined;
  if (opts.crossEncoder && opts.rerank !== false && ordered.length > 1) {
    const head = ordered.slice(0, Math.max(limit, opts.crossEncoderTop ?? 20));
    try {
      // the cross-encoder reads a chunk as the embedder does: path, symbol, then text
      const s = await opts.crossEncoder.score(
        query,
        head.map((c) => embedText(c.row)),
      );
      cross = new Map(head.map((c, i) => [c.row.id, s[i]]));
      // stable: equal scores keep the linear order
      const reordered = head
        .map((c, i) => ({ c, i }))
        .sort((a, b) => s[b.i] - s[a.i] || a.i - b.i)
        .map((x) => x.c);
      ordered.splice(0, head.length, ...reordered);
    } catch (err) {
      warnings.push(
        `cross-encoder failed, hits are in the linear reranker's order: ${(err as Error).message}`,
      );
    }
  }
  const hits = ordered.slice(0, limit).map((s) => {
    const h = toHit(s.row, s.score, s.lanes as Lane[], pq.terms);
    const c = cross?.get(s.row.id);
    // a non-finite logit (ranked last) has no JSON number to show
    if (c !== undefined && Number.isFinite(c)) h.crossScore = Math.round(c * 10000) / 10000;
    return h;
  });
  const tookMs = Math.round((performance.now() - t0) * 100) / 100;
  return warnings.length ? { query, hits, tookMs, lanes, warnings } : { query, hits, tookMs, lanes };
}

function toHit(row: ChunkRow, score: number, lanes: Lane[], terms: string[]): Hit {
  return {
    id: row.id,
    path: row.path,
    startLine: row.start_line,
    endLine: row.end_line,
    symbol: row.symbol,
    kind: row.kind,
    lang: row.lang,
    source: row.source,
    time: row.ts == null ? null : new Date(row.ts).toISOString(),
    snippet: snippet(row, terms),
    score: Math.round(score * 10000) / 10000,
    lanes,
  };
}

/** Up to 10 lines around the line with the most query terms. */
function snippet(row: ChunkRow, terms: string[]): string {
  const lines = row.text.split("\n");
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].toLowerCase();
    let s = 0;
    for (const t of terms) if (l.includes(t)) s++;
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  const from = Math.max(0, Math.min(best - 2, lines.length - 10));
  const text = lines.slice(from, from + 10).join("\n");
  return text.length > 1200 ? `${text.slice(0, 1200)}…` : text;
}
