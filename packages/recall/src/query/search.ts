import type { Embedder } from "../embed/embedder.js";
import { embedText } from "../indexer.js";
import type { ChunkRow, SqliteStore } from "../store/sqlite-store.js";
import type { VectorStore } from "../store/vector-store.js";
import { ftsExpression, type ParsedQuery, parseQuery } from "../tokenize.js";
import { type Candidate, DEFAULT_WEIGHTS, type RerankWeights, rerank } from "./rerank.js";
import { rrf } from "./rrf.js";

export type Lane = "bm25" | "vector";

export interface SearchOptions {
  limit?: number;
  /** Only paths starting with this prefix. */
  path?: string;
  lang?: string;
  /** Lanes to use (default both). */
  lanes?: Lane[];
  /** Skip the reranker (fusion order only). */
  rerank?: boolean;
  maxPerFile?: number;
  weights?: RerankWeights;
}

export interface Hit {
  id: string;
  path: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  kind: string;
  lang: string;
  snippet: string;
  score: number;
  lanes: Lane[];
}

export interface SearchResult {
  query: string;
  hits: Hit[];
  tookMs: number;
  lanes: Lane[];
}

const RRF_K = 60;

/** Run the lanes, fuse, and collect candidates (with cosine when the embedder is cheap). */
export async function gatherCandidates(
  store: SqliteStore,
  vectors: VectorStore,
  embedder: Embedder,
  query: string,
  opts: SearchOptions = {},
): Promise<{ pq: ParsedQuery; cands: Candidate[]; lanes: Lane[]; limit: number }> {
  const limit = Math.max(1, Math.min(opts.limit ?? 10, 100));
  const lanes = opts.lanes ?? ["bm25", "vector"];
  const prefetch = Math.max(60, limit * 6);
  const pq = parseQuery(query);
  const filter = { pathPrefix: opts.path, lang: opts.lang };
  // the vector lane runs on LanceDB's threads while SQLite answers the BM25 lane
  const qvecPromise =
    lanes.includes("vector") || opts.rerank !== false ? embedder.embed([query]).then(([v]) => v) : null;
  const vecPromise =
    lanes.includes("vector") && qvecPromise
      ? qvecPromise.then((v) => vectors.search(v, prefetch, filter))
      : Promise.resolve([]);
  const ranked: Record<string, string[]> = {};
  if (lanes.includes("bm25")) {
    const expr = ftsExpression(pq);
    ranked.bm25 = expr ? store.bm25(expr, prefetch, filter).map((h) => h.id) : [];
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
    cands.push({ row, fused: f.score, lanes: f.lanes, ranks });
  }
  if (opts.rerank !== false && qvecPromise && embedder.cheap) {
    // a cheap embedder scores every candidate (including BM25-only ones) against the query
    const qv = await qvecPromise;
    const cv = await embedder.embed(cands.map((c) => embedText(c.row)));
    cands.forEach((c, i) => {
      let s = 0;
      for (let k = 0; k < qv.length; k++) s += qv[k] * cv[i][k];
      c.cosine = s;
    });
  } else {
    const dist = new Map(vecHits.map((h) => [h.id, h.distance]));
    for (const c of cands) if (dist.has(c.row.id)) c.cosine = 1 - (dist.get(c.row.id) as number);
  }
  return { pq, cands, lanes, limit };
}

export async function search(
  store: SqliteStore,
  vectors: VectorStore,
  embedder: Embedder,
  query: string,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  const t0 = performance.now();
  const { pq, cands, lanes, limit } = await gatherCandidates(store, vectors, embedder, query, opts);
  const scored =
    opts.rerank === false
      ? cands.map((c) => ({ ...c, score: c.fused }))
      : rerank(pq, cands, opts.weights ?? DEFAULT_WEIGHTS, embedder.translate?.bind(embedder));
  const perFile = new Map<string, number>();
  const maxPerFile = opts.maxPerFile ?? 3;
  const hits: Hit[] = [];
  for (const s of scored) {
    const n = perFile.get(s.row.path) ?? 0;
    if (n >= maxPerFile) continue;
    perFile.set(s.row.path, n + 1);
    hits.push(toHit(s.row, s.score, s.lanes as Lane[], pq.terms));
    if (hits.length >= limit) break;
  }
  return { query, hits, tookMs: Math.round((performance.now() - t0) * 100) / 100, lanes };
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
