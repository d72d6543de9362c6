import { existsSync, promises as fs } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { loadConfig, type RecallConfig } from "./config.js";
import { type Embedder, embedText } from "./embed/embedder.js";
import { selectEmbedder } from "./embed/select-embedder.js";
import { RecallError } from "./errors.js";
import { Indexer, type ScanProgress, type ScanReport } from "./indexer.js";
import { type Logger, silentLogger } from "./logger.js";
import { type RerankerChoice, selectReranker } from "./query/cross-encoder.js";
import { type SearchOptions, type SearchResult, search } from "./query/search.js";
import { toRel } from "./scan/walk.js";
import {
  isIndexedJournalEvent,
  type JournalEntryLike,
  type JournalIngestState,
  JournalSource,
} from "./source/journal-source.js";
import { TranscriptSource } from "./source/transcript-source.js";
import { FilterError } from "./store/filter.js";
import { SqliteStore } from "./store/sqlite-store.js";
import { VectorStore } from "./store/vector-store.js";
import { type JournalCursor, KernelFollower, type KernelFollowState } from "./watch/kernel-follow.js";
import { Watcher, type WatchStatus } from "./watch/watcher.js";

export interface OpenRecallOptions {
  workspace: string;
  logger?: Logger;
  /** Overrides on top of `.ostk/config.toml` and the environment. */
  config?: Partial<RecallConfig>;
  /** Use this embedder instead of the configured one. */
  embedder?: Embedder;
  /** Index directory (default `<workspace>/.ostk/recall`). */
  dataDir?: string;
}

export interface ViewRequest {
  id?: string;
  path?: string;
  startLine?: number;
  endLine?: number;
  /** Extra lines before and after. */
  context?: number;
}

export interface ViewResult {
  path: string;
  startLine: number;
  endLine: number;
  totalLines: number;
  symbol: string | null;
  text: string;
}

/** One source of chunks, with where its ingestion stands. */
export interface SourceStatus {
  name: "code" | "docs" | "transcript" | "journal";
  enabled: boolean;
  chunks: number;
  /** Where it is read from (the workspace, `.ostk/journal.jsonl`, the transcripts directory). */
  location: string;
  /** Transcript files followed. */
  files?: number;
  /** Journal: the tail cursor and last seq stored; transcripts: per file, the byte offset read to and where its last (still open) exchange starts. */
  cursor?:
    | { dev: number; ino: number; offset: number; lastSeq: number }
    | { file: string; offset: number; openAt: number; exchanges: number }[]
    | null;
  /** Last time this source was read (epoch ms). */
  lastIngestAt?: number | null;
}

export interface RecallStatus {
  workspace: string;
  dataDir: string;
  files: number;
  chunks: number;
  vectors: number;
  events: number;
  sources: SourceStatus[];
  embedder: { id: string; dim: number; description: string };
  /** The reranker in use: linear, or linear then a local ONNX cross-encoder (and why not, if it fell back). */
  reranker: { description: string };
  vectorIndex: "flat" | "hnsw";
  lastScan: { at: number; files: number; changedFiles: number; ms: number } | null;
  health: "ok" | "degraded";
  healthNotes: string[];
  watch: WatchStatus;
  /** Kernel subscription: off (not watching or disabled), following, kernel not running, failed. */
  kernel: KernelFollowState;
  configWarnings: string[];
}

/** While watching, how often a transcripts directory that does not exist yet is looked for. */
const TRANSCRIPT_DIR_CHECK_MS = 2000;

export { RecallError };

/** The recall engine for one workspace: scan, search, view, status, watch. */
export class Recall {
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: Watcher | null = null;
  private follower: KernelFollower | null = null;
  private readonly journal: JournalSource;
  private readonly transcripts: TranscriptSource;
  private liveEntries: JournalEntryLike[] = [];
  private liveTimer: NodeJS.Timeout | null = null;
  /** While watching with transcripts on: a watch on the transcripts directory, or a timer waiting for it to exist. */
  private transcriptWatcher: Watcher | null = null;
  private transcriptDirTimer: NodeJS.Timeout | null = null;
  private lastTranscriptIngest: number | null = null;

  private constructor(
    readonly workspace: string,
    readonly dataDir: string,
    readonly config: RecallConfig,
    readonly store: SqliteStore,
    readonly vectors: VectorStore,
    readonly embedder: Embedder,
    readonly indexer: Indexer,
    private readonly logger: Logger,
    private readonly warnings: string[],
    private readonly reranker: RerankerChoice,
  ) {
    this.journal = new JournalSource(workspace, store, indexer, logger);
    this.transcripts = new TranscriptSource(workspace, config.transcriptsDir, store, indexer, logger);
  }

  static async open(opts: OpenRecallOptions): Promise<Recall> {
    const workspace = resolve(opts.workspace);
    const logger = opts.logger ?? silentLogger;
    const { config, warnings } = loadConfig(workspace, opts.config);
    for (const w of warnings) logger.warn({ workspace }, w);
    const dataDir = opts.dataDir ?? join(workspace, ".ostk", "recall");
    await fs.mkdir(dataDir, { recursive: true });
    const store = new SqliteStore(join(dataDir, "index.sqlite"));
    const embedder = opts.embedder ?? (await selectEmbedder(config, logger));
    const vectors = await VectorStore.open(join(dataDir, "vectors"), embedder.dim);
    const indexer = new Indexer(workspace, config, store, vectors, embedder, logger);
    const reranker = await selectReranker(config, logger);
    const r = new Recall(
      workspace,
      dataDir,
      config,
      store,
      vectors,
      embedder,
      indexer,
      logger,
      warnings,
      reranker,
    );
    await r.reconcileVectors();
    return r;
  }

  /** Serialise index passes (scan, watcher batches, triggers). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Make the vector table match the chunk table (after an embedder change or an interrupted pass). */
  private async reconcileVectors(): Promise<void> {
    const stored = this.store.getMeta("embedder");
    if (stored !== this.embedder.id) {
      await this.vectors.reset();
      this.store.setMeta("embedder", this.embedder.id);
    }
    const chunks = this.store.counts().chunks;
    const vecs = await this.vectors.count();
    if (chunks === vecs) return;
    const have = new Set(await this.vectors.ids());
    const want = new Set(this.store.allChunkIds());
    const extra = [...have].filter((id) => !want.has(id));
    if (extra.length) await this.vectors.remove(extra);
    const missing = [...want].filter((id) => !have.has(id));
    for (let i = 0; i < missing.length; i += 1000) {
      const rows = [...this.store.chunksByIds(missing.slice(i, i + 1000)).values()];
      const vecs2 = await this.embedder.embed(rows.map(embedText));
      this.store.setVectors(rows.map((r, j) => ({ id: r.id, vector: vecs2[j] })));
      await this.vectors.add(
        rows.map((r, j) => ({
          id: r.id,
          path: r.path,
          lang: r.lang,
          source: r.source,
          ts: r.ts,
          vector: vecs2[j],
        })),
      );
    }
  }

  /** Index the workspace (or a directory under it) now. */
  scan(
    opts: { dir?: string; onProgress?: (p: ScanProgress) => void; signal?: AbortSignal } = {},
  ): Promise<ScanReport> {
    const under = opts.dir ? this.relPath(opts.dir) : "";
    return this.exclusive(async () => {
      const r = await this.indexer.scan(under, opts.onProgress, opts.signal);
      if (!under) {
        const t0 = performance.now();
        Object.assign(r, await this.ingestSources(opts.signal));
        r.chunksAdded += await this.indexer.flushVectors();
        r.ms += Math.round(performance.now() - t0);
      }
      await this.maybeIndexVectors();
      return r;
    });
  }

  /** Read the optional sources from their cursors (a source turned off loses its chunks). */
  private async ingestSources(signal?: AbortSignal): Promise<{ events: number; exchanges: number }> {
    let events = 0;
    let exchanges = 0;
    if (this.config.journal) events = await this.journal.catchUp(signal);
    else if (this.store.sourceCounts().get("journal")) {
      this.indexer.removeChunks(this.store.chunkIdsOfSource("journal"));
      this.store.deleteIngest("journal-events");
    }
    if (this.config.transcripts) {
      exchanges = await this.transcripts.ingest(signal);
      this.lastTranscriptIngest = Date.now();
    } else if (this.store.sourceCounts().get("transcript") || this.transcripts.states().length)
      this.transcripts.purge();
    return { events, exchanges };
  }

  /** Store journal entries received while watching (debounced into one pass). */
  private queueEntry(e: JournalEntryLike): void {
    if (!this.config.journal || !isIndexedJournalEvent(e.event)) return;
    this.liveEntries.push(e);
    this.liveTimer ??= setTimeout(() => {
      this.liveTimer = null;
      const entries = this.liveEntries;
      this.liveEntries = [];
      void this.exclusive(async () => {
        this.journal.ingestEntries(entries);
        await this.indexer.flushVectors();
      }).catch((err) => this.logger.warn({ err }, "storing journal events failed; the next scan retries"));
    }, this.config.debounceMs);
  }

  /**
   * While watching, new transcript lines are read as the transcripts directory reports them (the files it
   * names only; the reconcile scan reads every file). A directory that does not exist yet, or that was
   * deleted, is looked for every few seconds and watched once it is there.
   */
  private async watchTranscripts(): Promise<void> {
    const dir = this.transcripts.dir;
    const pass = (read: () => Promise<number>) =>
      this.exclusive(async () => {
        await read();
        this.lastTranscriptIngest = Date.now();
        await this.indexer.flushVectors();
      });
    const w: Watcher = new Watcher({
      workspace: dir,
      debounceMs: this.config.debounceMs,
      maxWaitMs: this.config.maxWaitMs,
      reconcileMs: 0,
      onPaths: async (paths) => {
        // other projects' sessions are reported too: they cost nothing here
        const mine = this.transcripts.ownPaths(paths.map((p) => join(dir, p)));
        if (mine.length) await pass(() => this.transcripts.ingestPaths(mine));
      },
      onRescan: () => pass(() => this.transcripts.ingest()),
      onRootDeleted: () =>
        void (async () => {
          if (this.transcriptWatcher !== w) return;
          this.transcriptWatcher = null;
          await w.stop();
          if (!this.watcher) return;
          // the deleted transcripts leave the index; the directory is watched again once it is back
          await pass(() => this.transcripts.ingest()).catch((err) =>
            this.logger.warn({ err }, "reading transcripts failed; the reconcile scan retries"),
          );
          this.waitForTranscriptDir();
        })(),
      logger: this.logger,
    });
    try {
      await w.start();
    } catch (err) {
      if (existsSync(dir))
        this.logger.warn(
          { err },
          "cannot watch the transcripts directory; new exchanges are read at the reconcile scan",
        );
      else this.waitForTranscriptDir();
      return;
    }
    if (!this.watcher) return void (await w.stop());
    this.transcriptWatcher = w;
    // lines written between the scan and the subscription
    w.enqueueRescan();
  }

  private waitForTranscriptDir(): void {
    if (!this.watcher || this.transcriptDirTimer) return;
    this.transcriptDirTimer = setInterval(() => {
      if (!existsSync(this.transcripts.dir)) return;
      if (this.transcriptDirTimer) clearInterval(this.transcriptDirTimer);
      this.transcriptDirTimer = null;
      void this.watchTranscripts();
    }, TRANSCRIPT_DIR_CHECK_MS);
    this.transcriptDirTimer.unref();
  }

  /** Re-index specific paths (files, directories, deleted paths). */
  indexPaths(paths: string[]): Promise<ScanReport> {
    const rels = paths.map((p) => this.relPath(p)).filter((p) => p !== "");
    return this.exclusive(() => this.indexer.indexPaths(rels));
  }

  private async maybeIndexVectors(): Promise<void> {
    const n = await this.vectors.count();
    if (n < this.config.hnswThreshold) return;
    if (!(await this.vectors.hasIndex())) {
      this.logger.info({ vectors: n }, "building HNSW vector index");
      await this.vectors.buildIndex();
    } else await this.vectors.optimize();
  }

  search(query: string, opts: SearchOptions = {}): Promise<SearchResult> {
    if (typeof query !== "string" || !query.trim())
      throw new RecallError("InvalidParams", "query must be a non-empty string");
    return search(this.store, this.vectors, this.embedder, query, {
      maxPerFile: this.config.maxHitsPerFile,
      crossEncoder: this.reranker.crossEncoder,
      crossEncoderTop: this.config.rerankTop,
      ...opts,
    }).catch((err) => {
      if (err instanceof FilterError) throw new RecallError("InvalidParams", err.message);
      throw err;
    });
  }

  /** A chunk by id, or a line range of an indexed/workspace file, with context lines. */
  async view(req: ViewRequest): Promise<ViewResult> {
    let path: string;
    let start: number;
    let end: number;
    let symbol: string | null = null;
    if (req.id) {
      const c = this.store.chunkById(req.id);
      if (!c)
        throw new RecallError(
          "NotFound",
          `no chunk with id ${req.id}; it may have been re-indexed — search again`,
        );
      if (c.source === "journal" || c.source === "transcript")
        // an event or an exchange: the stored (redacted) text is the thing to show
        return {
          path: c.path,
          startLine: c.start_line,
          endLine: c.end_line,
          totalLines: c.end_line,
          symbol: c.symbol,
          text: c.text,
        };
      path = c.path;
      start = c.start_line;
      end = c.end_line;
      symbol = c.symbol;
    } else if (req.path) {
      path = this.relPath(req.path);
      start = req.startLine ?? 1;
      end = req.endLine ?? start + 199;
      if (end < start) throw new RecallError("InvalidParams", `endLine ${end} is before startLine ${start}`);
    } else throw new RecallError("InvalidParams", "give either id or path");
    const ctx = Math.max(0, Math.min(req.context ?? 0, 200));
    let text: string;
    try {
      text = await fs.readFile(join(this.workspace, path), "utf8");
    } catch {
      const c = req.id ? this.store.chunkById(req.id) : undefined;
      if (!c) throw new RecallError("NotFound", `cannot read ${path}: it does not exist in the workspace`);
      return { path, startLine: start, endLine: end, totalLines: end, symbol, text: c.text };
    }
    const lines = text.split("\n");
    // a final newline ends the last line; it does not start another
    if (text.endsWith("\n")) lines.pop();
    if (start > Math.max(1, lines.length))
      throw new RecallError(
        "InvalidParams",
        `${path} has ${lines.length} lines: line ${start} is past its end`,
      );
    const s = Math.max(1, start - ctx);
    const e = Math.min(lines.length, Math.max(end + ctx, s));
    return {
      path,
      startLine: s,
      endLine: e,
      totalLines: lines.length,
      symbol,
      text: lines.slice(s - 1, e).join("\n"),
    };
  }

  async status(): Promise<RecallStatus> {
    const counts = this.store.counts();
    const vectors = await this.vectors.count();
    const last = this.store.getIngest<{ lastScan: number; files: number; changedFiles: number; ms: number }>(
      "workspace",
    );
    const notes: string[] = [];
    const integrity = this.store.integrity();
    if (integrity !== "ok") notes.push(`sqlite quick_check: ${integrity}`);
    if (vectors !== counts.chunks)
      notes.push(`vectors (${vectors}) and chunks (${counts.chunks}) differ; the next scan reconciles them`);
    if (!last) notes.push("never scanned: run `ostk-recall scan` or the recall_scan tool");
    return {
      workspace: this.workspace,
      dataDir: this.dataDir,
      ...counts,
      vectors,
      sources: this.sourceStatus(),
      embedder: { id: this.embedder.id, dim: this.embedder.dim, description: this.embedder.description },
      reranker: { description: this.reranker.description },
      vectorIndex: (await this.vectors.hasIndex()) ? "hnsw" : "flat",
      lastScan: last
        ? { at: last.lastScan, files: last.files, changedFiles: last.changedFiles, ms: last.ms }
        : null,
      health: integrity === "ok" ? "ok" : "degraded",
      healthNotes: notes,
      watch: this.watchStatus(),
      kernel: this.follower?.state ?? "off",
      configWarnings: this.warnings,
    };
  }

  private sourceStatus(): SourceStatus[] {
    const counts = this.store.sourceCounts();
    const j = this.store.getIngest<JournalIngestState>("journal-events");
    const t = this.transcripts.states();
    return [
      { name: "code", enabled: true, chunks: counts.get("code") ?? 0, location: this.workspace },
      { name: "docs", enabled: true, chunks: counts.get("docs") ?? 0, location: this.workspace },
      {
        name: "journal",
        enabled: this.config.journal,
        chunks: counts.get("journal") ?? 0,
        location: this.journal.file,
        cursor: j?.cursor ? { ...j.cursor, lastSeq: j.lastSeq } : null,
        lastIngestAt: j?.at ?? null,
      },
      {
        name: "transcript",
        enabled: this.config.transcripts,
        chunks: counts.get("transcript") ?? 0,
        location: this.transcripts.dir,
        files: t.length,
        cursor: t.slice(0, 100).map(({ file, state }) => ({
          file,
          offset: state.size,
          openAt: state.offset,
          exchanges: state.exchanges,
        })),
        lastIngestAt: this.lastTranscriptIngest,
      },
    ];
  }

  /** Start watching (runs a reconcile scan first). */
  async watch(): Promise<WatchStatus> {
    if (this.watcher) return this.watchStatus();
    const w = new Watcher({
      workspace: this.workspace,
      debounceMs: this.config.debounceMs,
      maxWaitMs: this.config.maxWaitMs,
      reconcileMs: this.config.reconcileMs,
      onPaths: async (paths) => {
        await this.indexPaths(paths);
      },
      onRescan: async () => {
        await this.scan();
      },
      logger: this.logger,
    });
    this.watcher = w;
    await w.start();
    await this.scan();
    if (this.config.followKernel) {
      let lastSave = 0;
      this.follower = new KernelFollower(this.workspace, (paths) => w.enqueue(paths), this.logger, {
        cursor: this.store.getIngest<JournalCursor>("journal"),
        onCursor: (c) => {
          // persist the resume point at most every 500 ms (a replay only re-checks paths)
          if (Date.now() - lastSave < 500) return;
          lastSave = Date.now();
          this.store.setIngest("journal", c);
        },
        onEntry: (e) => this.queueEntry(e as JournalEntryLike),
      });
      await this.follower.start();
    }
    if (this.config.transcripts) await this.watchTranscripts();
    return this.watchStatus();
  }

  async unwatch(): Promise<WatchStatus> {
    const w = this.watcher;
    this.watcher = null;
    if (this.transcriptDirTimer) clearInterval(this.transcriptDirTimer);
    this.transcriptDirTimer = null;
    await this.transcriptWatcher?.stop();
    this.transcriptWatcher = null;
    // entries not stored yet are read from the journal file by the next scan
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = null;
    this.liveEntries = [];
    if (this.follower?.lastCursor) this.store.setIngest("journal", this.follower.lastCursor);
    await this.follower?.stop();
    this.follower = null;
    await w?.stop();
    return this.watchStatus();
  }

  /** Queue paths (or a rescan when empty) on the watcher's debounce, or index directly when not watching. */
  async trigger(paths: string[]): Promise<void> {
    if (this.watcher) {
      if (paths.length) this.watcher.enqueue(paths.map((p) => this.relPath(p)).filter(Boolean));
      else this.watcher.enqueueRescan();
      return;
    }
    if (paths.length) await this.indexPaths(paths);
    else await this.scan();
  }

  /** Wait until queued watcher work is indexed (tests, shutdown). */
  async settle(): Promise<void> {
    await this.watcher?.flush();
    await this.queue;
  }

  watchStatus(): WatchStatus {
    return (
      this.watcher?.status() ?? { running: false, pending: 0, batches: 0, lastBatchAt: null, lastError: null }
    );
  }

  /** Workspace-relative path; throws for paths outside the workspace. */
  relPath(p: string): string {
    if (p === "" || p === ".") return "";
    const abs = isAbsolute(p) ? p : join(this.workspace, p);
    if (resolve(abs) === this.workspace) return "";
    const rel = toRel(this.workspace, resolve(abs));
    if (!rel)
      throw new RecallError("PathOutsideWorkspace", `${p} is outside the workspace ${this.workspace}`);
    return rel;
  }

  async close(): Promise<void> {
    await this.unwatch();
    await this.queue;
    this.vectors.close();
    this.store.close();
  }
}

export function openRecall(opts: OpenRecallOptions): Promise<Recall> {
  return Recall.open(opts);
}
