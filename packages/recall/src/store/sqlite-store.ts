import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Chunk } from "../chunk/types.js";
import { normTerms, splitIdentifier, splitTerms } from "../tokenize.js";
import {
  onlySources,
  type ResolvedFilter,
  resolveFilter,
  type SearchFilter,
  SOURCES,
  type SourceName,
} from "./filter.js";

export interface FileRow {
  path: string;
  hash: string;
  size: number;
  mtime_ms: number;
  lang: string;
  indexed_at: number;
  chunk_count: number;
}

export interface ChunkRow {
  rowid: number;
  id: string;
  source: string;
  /** Normalised terms (split, stemmed) of symbol, path and text, space-separated. */
  nterms: string;
  /** int8-quantised unit vector (×127), when embedded. */
  vec: Buffer | null;
  path: string;
  start_line: number;
  end_line: number;
  symbol: string | null;
  kind: string;
  lang: string;
  text: string;
  /** Epoch ms: file mtime when this content was indexed, exchange time, or journal entry time. */
  ts: number | null;
}

export interface Bm25Hit {
  rowid: number;
  id: string;
  /** bm25() value: more negative is better. */
  score: number;
}

export type Bm25Filter = ResolvedFilter;

/** Sources whose chunks belong to a workspace file (replaced when the file is re-indexed). */
const FILE_SOURCES = "source IN ('code', 'docs')";

const SCHEMA_VERSION = "4";

/** Longest FTS query (terms); the rarest terms are kept. */
const MAX_QUERY_TERMS = 16;
/**
 * Cost budget of one BM25 query, in postings (sum of the kept terms' document
 * frequencies). FTS5 scores every matching row, so this bounds latency on large
 * indexes; at least two terms are always kept. Small indexes never reach it.
 */
const POSTINGS_BUDGET = 8_000;

/** The ingest table's statements, prepared once (it is read and written per transcript file on every pass). */
function prepareIngest(db: Database.Database) {
  return {
    set: db.prepare(
      "INSERT INTO ingest(source, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at",
    ),
    get: db.prepare("SELECT state FROM ingest WHERE source = ?").pluck(),
    prefixed: db.prepare("SELECT source, state FROM ingest WHERE substr(source, 1, ?) = ?").raw(),
    delete: db.prepare("DELETE FROM ingest WHERE source = ?"),
  };
}

/**
 * `.ostk/recall/index.sqlite`: files, chunks, FTS5 (BM25) over symbol/path/text
 * plus a column of split identifier parts, ingest state and events. WAL mode.
 */
export class SqliteStore {
  readonly db: Database.Database;
  /** FTS5 stem of a token (tokenizer output never changes). */
  private readonly stemCache = new Map<string, string | undefined>();
  /** Document frequency of a stem; cleared on every write. */
  private readonly dfCache = new Map<string, number>();
  /** Chunks per source; cleared on every write. */
  private sourceCache: Map<string, number> | null = null;
  private readonly globCache = new Map<string, RegExp>();
  private readonly ingestSql: ReturnType<typeof prepareIngest>;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("cache_size = -65536");
    this.migrate();
    this.ingestSql = prepareIngest(this.db);
    this.db.function("recall_path_match", { deterministic: true }, (re: unknown, path: unknown) => {
      let r = this.globCache.get(re as string);
      if (!r) {
        r = new RegExp(re as string);
        if (this.globCache.size > 100) this.globCache.clear();
        this.globCache.set(re as string, r);
      }
      return r.test(path as string) ? 1 : 0;
    });
  }

  private migrate(): void {
    const has = this.db.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").get();
    const version = has
      ? (this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as
          | string
          | undefined)
      : undefined;
    if (version && version !== SCHEMA_VERSION) {
      // index format changed: drop derived tables; the next scan rebuilds them (the workspace is the source of truth)
      this.db.exec(
        "DROP TABLE IF EXISTS chunks_vocab; DROP TABLE IF EXISTS chunks_fts; DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS files; DELETE FROM meta;",
      );
      // the optional sources' cursors point past chunks that are gone now: read them again; and the
      // workspace's last scan no longer describes the index (status then says to scan)
      if (this.db.prepare("SELECT name FROM sqlite_master WHERE name = 'ingest'").get())
        this.db.exec(
          "DELETE FROM ingest WHERE source IN ('workspace', 'journal-events') OR source LIKE 'transcript:%'",
        );
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS files (
        path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL,
        lang TEXT NOT NULL, indexed_at INTEGER NOT NULL, chunk_count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, path TEXT NOT NULL,
        start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, symbol TEXT, kind TEXT NOT NULL,
        lang TEXT NOT NULL, text TEXT NOT NULL, nterms TEXT NOT NULL DEFAULT '', vec BLOB, ts INTEGER);
      CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
      CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
        symbol, path, text, terms, content='', contentless_delete=1,
        tokenize = "porter unicode61 tokenchars '_'");
      CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
      CREATE TABLE IF NOT EXISTS ingest (source TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT, data TEXT);
      CREATE INDEX IF NOT EXISTS events_path ON events(path);
    `);
    this.setMeta("schema_version", SCHEMA_VERSION);
    // a scratch FTS table with the same tokenizer tells us how FTS5 stems query tokens
    this.db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.qtok USING fts5(x, tokenize = "porter unicode61 tokenchars '_'");
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.qtok_v USING fts5vocab(temp, qtok, 'instance');
    `);
  }

  getMeta(key: string): string | undefined {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  getFile(path: string): FileRow | undefined {
    return this.db.prepare("SELECT * FROM files WHERE path = ?").get(path) as FileRow | undefined;
  }

  allFiles(): Map<string, FileRow> {
    const rows = this.db.prepare("SELECT * FROM files").all() as FileRow[];
    return new Map(rows.map((r) => [r.path, r]));
  }

  /** Paths equal to `prefix` or under `prefix/`. */
  filesUnder(prefix: string): string[] {
    const rows = this.db
      .prepare("SELECT path FROM files WHERE path = ? OR substr(path, 1, ?) = ?")
      .all(prefix, prefix.length + 1, `${prefix}/`) as { path: string }[];
    return rows.map((r) => r.path);
  }

  /** Ids of a workspace file's chunks (not journal events about it). */
  chunkIdsOf(path: string): Set<string> {
    const rows = this.db.prepare(`SELECT id FROM chunks WHERE path = ? AND ${FILE_SOURCES}`).all(path) as {
      id: string;
    }[];
    return new Set(rows.map((r) => r.id));
  }

  /** Ids of one source's chunks, optionally of one path. */
  chunkIdsOfSource(source: SourceName, path?: string): string[] {
    return (
      path === undefined
        ? this.db.prepare("SELECT id FROM chunks WHERE source = ?").pluck().all(source)
        : this.db.prepare("SELECT id FROM chunks WHERE source = ? AND path = ?").pluck().all(source, path)
    ) as string[];
  }

  /** Insert the chunks whose ids are not stored yet (one transaction); returns those. */
  insertNewChunks(chunks: Chunk[]): Chunk[] {
    const has = this.db.prepare("SELECT 1 FROM chunks WHERE id = ?").pluck();
    return this.db.transaction(() => {
      const seen = new Set<string>();
      const fresh = chunks.filter((c) => {
        if (seen.has(c.id) || has.get(c.id)) return false;
        seen.add(c.id);
        return true;
      });
      this.insertChunks(fresh);
      return fresh;
    })();
  }

  /** Remove chunks by id (one transaction). */
  removeChunkIds(ids: string[]): void {
    if (ids.length) this.db.transaction(() => this.deleteChunks(ids))();
  }

  /** Chunk count per source. */
  sourceCounts(): Map<string, number> {
    if (!this.sourceCache) {
      const rows = this.db.prepare("SELECT source, count(*) AS n FROM chunks GROUP BY source").all() as {
        source: string;
        n: number;
      }[];
      this.sourceCache = new Map(rows.map((r) => [r.source, r.n]));
    }
    return this.sourceCache;
  }

  /**
   * Resolve a caller's filter; a source restriction that excludes only sources
   * with no chunks is dropped, so the common query keeps the fast unfiltered plan.
   */
  resolveFilter(f: SearchFilter): ResolvedFilter {
    const r = resolveFilter(f);
    if (r.sources) {
      const present = this.sourceCounts();
      const wanted = r.sources;
      if (SOURCES.every((s) => wanted.includes(s) || !present.get(s))) r.sources = undefined;
    }
    return r;
  }

  /** Touch only the stat fields (content unchanged). */
  touchFile(path: string, size: number, mtimeMs: number): void {
    this.db.prepare("UPDATE files SET size = ?, mtime_ms = ? WHERE path = ?").run(size, mtimeMs, path);
  }

  /**
   * Replace a file's chunks in one transaction. Returns the ids added and removed
   * (chunks whose id is unchanged are kept as they are).
   */
  replaceFile(
    file: Omit<FileRow, "indexed_at" | "chunk_count">,
    chunks: Chunk[],
  ): { added: Chunk[]; removed: string[] } {
    const tx = this.db.transaction(() => {
      const existing = this.chunkIdsOf(file.path);
      const keep = new Set(chunks.map((c) => c.id));
      const removed = [...existing].filter((id) => !keep.has(id));
      const added = chunks.filter((c) => !existing.has(c.id));
      this.deleteChunks(removed);
      this.insertChunks(added);
      this.db
        .prepare(
          `INSERT INTO files(path, hash, size, mtime_ms, lang, indexed_at, chunk_count) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET hash=excluded.hash, size=excluded.size, mtime_ms=excluded.mtime_ms,
           lang=excluded.lang, indexed_at=excluded.indexed_at, chunk_count=excluded.chunk_count`,
        )
        .run(file.path, file.hash, file.size, file.mtime_ms, file.lang, Date.now(), chunks.length);
      return { added, removed };
    });
    return tx();
  }

  /** Remove files (and their chunks) from the index; returns the chunk ids removed. */
  removeFiles(paths: string[]): string[] {
    const tx = this.db.transaction(() => {
      const removed: string[] = [];
      for (const p of paths) {
        const ids = [...this.chunkIdsOf(p)];
        this.deleteChunks(ids);
        removed.push(...ids);
        this.db.prepare("DELETE FROM files WHERE path = ?").run(p);
      }
      return removed;
    });
    return tx();
  }

  insertChunks(chunks: Chunk[]): void {
    this.dfCache.clear();
    this.sourceCache = null;
    const ins = this.db.prepare(
      "INSERT INTO chunks(id, source, path, start_line, end_line, symbol, kind, lang, text, nterms, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const fts = this.db.prepare(
      "INSERT INTO chunks_fts(rowid, symbol, path, text, terms) VALUES (?, ?, ?, ?, ?)",
    );
    for (const c of chunks) {
      const body = c.text.length > 30_000 ? c.text.slice(0, 30_000) : c.text;
      const nterms = normTerms(`${c.symbol ?? ""} ${c.path.replace(/[/.-]/g, " ")}\n${body}`).join(" ");
      const r = ins.run(
        c.id,
        c.source,
        c.path,
        c.startLine,
        c.endLine,
        c.symbol,
        c.kind,
        c.lang,
        c.text,
        nterms,
        c.ts ?? null,
      );
      const symTerms = c.symbol ? splitIdentifier(c.symbol).join(" ") : "";
      fts.run(
        r.lastInsertRowid,
        c.symbol ?? "",
        c.path,
        c.text,
        `${symTerms} ${splitIdentifier(c.path).join(" ")} ${splitTerms(body)}`,
      );
    }
  }

  private deleteChunks(ids: string[]): void {
    this.dfCache.clear();
    this.sourceCache = null;
    const get = this.db.prepare("SELECT rowid FROM chunks WHERE id = ?");
    const delFts = this.db.prepare("DELETE FROM chunks_fts WHERE rowid = ?");
    const del = this.db.prepare("DELETE FROM chunks WHERE rowid = ?");
    for (const id of ids) {
      const r = get.get(id) as { rowid: number } | undefined;
      if (!r) continue;
      delFts.run(r.rowid);
      del.run(r.rowid);
    }
  }

  /** Store chunk vectors (int8-quantised) next to the text, for the reranker's cosine feature. */
  setVectors(items: { id: string; vector: Float32Array }[]): void {
    const up = this.db.prepare("UPDATE chunks SET vec = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const it of items) {
        const q = new Int8Array(it.vector.length);
        for (let i = 0; i < q.length; i++)
          q[i] = Math.max(-127, Math.min(127, Math.round(it.vector[i] * 127)));
        up.run(Buffer.from(q.buffer), it.id);
      }
    })();
  }

  /**
   * The FTS5 MATCH expression for a query: its tokens (whole identifiers and
   * normalised terms) ordered by document frequency, the rarest MAX_QUERY_TERMS
   * kept. Very common terms add little to BM25 and dominate its cost.
   */
  matchExpression(tokens: string[], maxTerms = MAX_QUERY_TERMS, budget = POSTINGS_BUDGET): string | null {
    const uniq = [...new Set(tokens.filter((t) => t.length >= 2))];
    if (!uniq.length) return null;
    const stems = this.stems(uniq);
    const byStem = new Map<string, { token: string; df: number }>();
    uniq.forEach((t, i) => {
      const stem = stems[i];
      if (!stem || byStem.has(stem)) return;
      byStem.set(stem, { token: t, df: this.docFreq(stem) });
    });
    const sorted = [...byStem.values()].filter((x) => x.df > 0).sort((a, b) => a.df - b.df);
    const keep: { token: string; df: number }[] = [];
    let cost = 0;
    for (const x of sorted) {
      if (keep.length >= maxTerms) break;
      if (keep.length >= 2 && cost + x.df > budget) break;
      keep.push(x);
      cost += x.df;
    }
    return keep.length ? keep.map((x) => `"${x.token.replace(/"/g, '""')}"`).join(" OR ") : null;
  }

  /** Inverse document frequency of each term (as FTS5 stems it), from the FTS vocabulary. */
  idf(terms: string[]): Map<string, number> {
    const out = new Map<string, number>();
    if (!terms.length) return out;
    let n = this.dfCache.get("\u0000count");
    if (n === undefined) {
      n = Math.max(1, (this.db.prepare("SELECT count(*) FROM chunks").pluck().get() as number) ?? 1);
      this.dfCache.set("\u0000count", n);
    }
    const stems = this.stems(terms);
    terms.forEach((t, i) => {
      const stem = stems[i];
      const d = stem ? this.docFreq(stem) : 0;
      out.set(t, Math.log(1 + (n - d + 0.5) / (d + 0.5)));
    });
    return out;
  }

  private docFreq(stem: string): number {
    let d = this.dfCache.get(stem);
    if (d === undefined) {
      d =
        (this.db.prepare("SELECT doc FROM chunks_vocab WHERE term = ?").pluck().get(stem) as
          | number
          | undefined) ?? 0;
      this.dfCache.set(stem, d);
    }
    return d;
  }

  /** How FTS5's tokenizer stems each token (via the scratch table). */
  private stems(tokens: string[]): (string | undefined)[] {
    const missing = [...new Set(tokens.filter((t) => !this.stemCache.has(t)))];
    if (missing.length) {
      const out: (string | undefined)[] = new Array(missing.length);
      this.db.transaction(() => {
        this.db.prepare("DELETE FROM temp.qtok").run();
        const ins = this.db.prepare("INSERT INTO temp.qtok(rowid, x) VALUES (?, ?)");
        for (let i = 0; i < missing.length; i++) ins.run(i + 1, missing[i]);
        const rows = this.db.prepare("SELECT term, doc FROM temp.qtok_v").all() as {
          term: string;
          doc: number;
        }[];
        for (const r of rows) out[r.doc - 1] ??= r.term;
      })();
      if (this.stemCache.size > 100_000) this.stemCache.clear();
      for (let i = 0; i < missing.length; i++) this.stemCache.set(missing[i], out[i]);
    }
    return tokens.map((t) => this.stemCache.get(t));
  }

  /** BM25 over the FTS5 table; column weights favour symbol and path matches. */
  bm25(match: string, limit: number, filter: Bm25Filter = {}): Bm25Hit[] {
    if (onlySources(filter)) {
      // Leaving out a minor source (journal events, by default) costs a join per match in SQL. Instead take
      // the unfiltered top N and drop other sources: when at least `limit` rows are left they are exactly
      // the filtered top `limit` (every row beyond N scores lower). Otherwise widen N, then fall back.
      const wanted = new Set<string>(filter.sources);
      const top = this.db.prepare(
        `SELECT f.rowid AS rowid, c.id AS id, f.score AS score, c.source AS source FROM
           (SELECT rowid, bm25(chunks_fts, 4.0, 2.0, 1.0, 1.0) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) f
         JOIN chunks c ON c.rowid = f.rowid ORDER BY f.score`,
      );
      for (let n = limit * 2; n <= limit * 8; n *= 2) {
        const rows = top.all(match, n) as (Bm25Hit & { source: string })[];
        const kept = rows.filter((r) => wanted.has(r.source));
        if (kept.length >= limit || rows.length < n)
          return kept.slice(0, limit).map(({ rowid, id, score }) => ({ rowid, id, score }));
      }
    }
    const where: string[] = ["chunks_fts MATCH ?"];
    const args: unknown[] = [match];
    if (filter.sources) {
      where.push(`c.source IN (${filter.sources.map(() => "?").join(", ")})`);
      args.push(...filter.sources);
    }
    if (filter.pathPrefix) {
      where.push("substr(c.path, 1, ?) = ?");
      args.push(filter.pathPrefix.length, filter.pathPrefix);
    }
    if (filter.pathGlob) {
      where.push("recall_path_match(?, c.path)");
      args.push(filter.pathGlob.source);
    }
    if (filter.lang) {
      where.push("c.lang = ?");
      args.push(filter.lang);
    }
    if (filter.since !== undefined) {
      where.push("c.ts >= ?");
      args.push(Math.floor(filter.since));
    }
    if (filter.until !== undefined) {
      where.push("c.ts <= ?");
      args.push(Math.ceil(filter.until));
    }
    args.push(limit);
    const sql =
      where.length > 1
        ? `SELECT c.rowid AS rowid, c.id AS id, bm25(chunks_fts, 4.0, 2.0, 1.0, 1.0) AS score
           FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE ${where.join(" AND ")} ORDER BY score LIMIT ?`
        : `SELECT f.rowid AS rowid, c.id AS id, f.score AS score FROM
             (SELECT rowid, bm25(chunks_fts, 4.0, 2.0, 1.0, 1.0) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) f
           JOIN chunks c ON c.rowid = f.rowid ORDER BY f.score`;
    return this.db.prepare(sql).all(...args) as Bm25Hit[];
  }

  chunksByIds(ids: string[]): Map<string, ChunkRow> {
    const out = new Map<string, ChunkRow>();
    if (!ids.length) return out;
    const stmt = this.db.prepare(`SELECT * FROM chunks WHERE id IN (${ids.map(() => "?").join(",")})`);
    for (const r of stmt.all(...ids) as ChunkRow[]) out.set(r.id, r);
    return out;
  }

  chunkById(id: string): ChunkRow | undefined {
    return this.db.prepare("SELECT * FROM chunks WHERE id = ?").get(id) as ChunkRow | undefined;
  }

  chunksOfFile(path: string): ChunkRow[] {
    return this.db.prepare("SELECT * FROM chunks WHERE path = ? ORDER BY start_line").all(path) as ChunkRow[];
  }

  /** Every chunk id (for reconciling the vector table). */
  allChunkIds(): string[] {
    return (this.db.prepare("SELECT id FROM chunks").pluck().all() as string[]) ?? [];
  }

  counts(): { files: number; chunks: number; events: number } {
    const q = (sql: string) => (this.db.prepare(sql).pluck().get() as number) ?? 0;
    return {
      files: q("SELECT count(*) FROM files"),
      chunks: q("SELECT count(*) FROM chunks"),
      events: q("SELECT count(*) FROM events"),
    };
  }

  addEvent(kind: string, path: string | null, data?: unknown): void {
    this.db
      .prepare("INSERT INTO events(ts, kind, path, data) VALUES (?, ?, ?, ?)")
      .run(Date.now(), kind, path, data === undefined ? null : JSON.stringify(data));
  }

  recentEvents(
    path: string | undefined,
    limit: number,
  ): { ts: number; kind: string; path: string | null; data: unknown }[] {
    const rows = (
      path
        ? this.db
            .prepare("SELECT ts, kind, path, data FROM events WHERE path = ? ORDER BY id DESC LIMIT ?")
            .all(path, limit)
        : this.db.prepare("SELECT ts, kind, path, data FROM events ORDER BY id DESC LIMIT ?").all(limit)
    ) as { ts: number; kind: string; path: string | null; data: string | null }[];
    return rows.map((r) => ({ ...r, data: r.data ? JSON.parse(r.data) : null }));
  }

  setIngest(source: string, state: unknown): void {
    this.ingestSql.set.run(source, JSON.stringify(state), Date.now());
  }

  getIngest<T>(source: string): T | undefined {
    const r = this.ingestSql.get.get(source) as string | undefined;
    return r === undefined ? undefined : (JSON.parse(r) as T);
  }

  /** Ingest keys starting with `prefix`, with their states, in one query. */
  ingestStates<T>(prefix: string): [string, T][] {
    return (this.ingestSql.prefixed.all(prefix.length, prefix) as [string, string][]).map(([k, v]) => [
      k,
      JSON.parse(v) as T,
    ]);
  }

  deleteIngest(source: string): void {
    this.ingestSql.delete.run(source);
  }

  integrity(): string {
    return this.db.prepare("PRAGMA quick_check").pluck().get() as string;
  }

  close(): void {
    this.db.close();
  }
}
