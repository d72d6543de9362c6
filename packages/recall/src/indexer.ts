import { promises as fs } from "node:fs";
import { join } from "node:path";
import { chunkFile, sha256 } from "./chunk/chunk-file.js";
import { languageOf } from "./chunk/languages.js";
import type { Chunk } from "./chunk/types.js";
import type { RecallConfig } from "./config.js";
import { type Embedder, embedText } from "./embed/embedder.js";
import type { Logger } from "./logger.js";
import { IgnoreMatcher, looksBinary, walkWorkspace } from "./scan/walk.js";
import { sourceOfLang } from "./store/filter.js";
import type { SqliteStore } from "./store/sqlite-store.js";
import type { VectorStore } from "./store/vector-store.js";

export interface ScanProgress {
  phase: "walk" | "index" | "embed" | "done";
  done: number;
  total: number;
  path?: string;
}

export interface ScanReport {
  files: number;
  changedFiles: number;
  removedFiles: number;
  skipped: number;
  chunksAdded: number;
  chunksRemoved: number;
  ms: number;
  /** New journal events stored (full scans). */
  events?: number;
  /** New transcript exchanges stored (full scans, when transcripts are on). */
  exchanges?: number;
}

const EMBED_BATCH = 1024;

/** Indexes files into SQLite and LanceDB; only changed content is re-chunked and re-embedded. */
export class Indexer {
  /** Number of index passes run (a watcher burst should produce few). */
  passes = 0;
  readonly matcher: IgnoreMatcher;
  private pendingEmbed: Chunk[] = [];
  private pendingRemove: string[] = [];

  constructor(
    private readonly workspace: string,
    private readonly config: RecallConfig,
    private readonly store: SqliteStore,
    private readonly vectors: VectorStore,
    private readonly embedder: Embedder,
    private readonly logger: Logger,
  ) {
    this.matcher = new IgnoreMatcher(workspace, config.ignore);
  }

  /** Full scan of the workspace (or a subtree): index new/changed files, drop vanished ones. */
  async scan(under = "", onProgress?: (p: ScanProgress) => void, signal?: AbortSignal): Promise<ScanReport> {
    const t0 = performance.now();
    this.passes++;
    const report: ScanReport = {
      files: 0,
      changedFiles: 0,
      removedFiles: 0,
      skipped: 0,
      chunksAdded: 0,
      chunksRemoved: 0,
      ms: 0,
    };
    const entries = [];
    for await (const e of walkWorkspace(this.workspace, this.config.ignore, under)) {
      entries.push(e);
      if (entries.length % 500 === 0) onProgress?.({ phase: "walk", done: entries.length, total: 0 });
    }
    const known = this.store.allFiles();
    const seen = new Set<string>();
    let i = 0;
    for (const e of entries) {
      signal?.throwIfAborted();
      i++;
      seen.add(e.path);
      const r = await this.indexOne(e.path, e.size, e.mtimeMs, known.get(e.path));
      if (r === "skipped") report.skipped++;
      else report.files++;
      if (r === "changed") report.changedFiles++;
      if (i % 50 === 0 || i === entries.length)
        onProgress?.({ phase: "index", done: i, total: entries.length, path: e.path });
      if (this.pendingEmbed.length >= EMBED_BATCH) report.chunksAdded += await this.flushVectors();
    }
    const prefix = under ? `${under}/` : "";
    const gone = [...known.keys()].filter(
      (p) => !seen.has(p) && (!under || p === under || p.startsWith(prefix)),
    );
    if (gone.length) {
      this.removeFiles(gone);
      report.removedFiles = gone.length;
    }
    report.chunksRemoved = this.pendingRemove.length;
    onProgress?.({ phase: "embed", done: 0, total: this.pendingEmbed.length });
    report.chunksAdded += await this.flushVectors();
    report.ms = Math.round(performance.now() - t0);
    this.store.setIngest("workspace", { lastScan: Date.now(), under, ...report });
    this.store.addEvent("scan", under || null, report);
    onProgress?.({ phase: "done", done: entries.length, total: entries.length });
    return report;
  }

  /** Index specific workspace-relative paths (files or directories; missing ones are removed). */
  async indexPaths(paths: string[]): Promise<ScanReport> {
    const t0 = performance.now();
    this.passes++;
    const report: ScanReport = {
      files: 0,
      changedFiles: 0,
      removedFiles: 0,
      skipped: 0,
      chunksAdded: 0,
      chunksRemoved: 0,
      ms: 0,
    };
    if (paths.some((p) => p.endsWith(".gitignore"))) this.matcher.reset();
    for (const p of new Set(paths)) {
      let st: import("node:fs").Stats | null = null;
      try {
        st = await fs.lstat(join(this.workspace, p));
      } catch {
        st = null;
      }
      if (!st) {
        const under = this.store.filesUnder(p);
        if (under.length) {
          this.removeFiles(under);
          report.removedFiles += under.length;
        }
      } else if (st.isDirectory()) {
        if (await this.matcher.ignored(p, true)) continue;
        // @parcel/watcher can miss files created inside new nested directories: walk the subtree
        const known = this.store.allFiles();
        for await (const e of walkWorkspace(this.workspace, this.config.ignore, p)) {
          const r = await this.indexOne(e.path, e.size, e.mtimeMs, known.get(e.path));
          if (r === "changed") report.changedFiles++;
          report.files++;
        }
      } else if (st.isFile()) {
        if (await this.matcher.ignored(p, false)) continue;
        const r = await this.indexOne(p, st.size, Math.floor(st.mtimeMs), this.store.getFile(p));
        if (r === "changed") report.changedFiles++;
        report.files++;
      }
    }
    report.chunksRemoved = this.pendingRemove.length;
    report.chunksAdded = await this.flushVectors();
    report.ms = Math.round(performance.now() - t0);
    if (report.changedFiles || report.removedFiles)
      this.store.addEvent("index", null, { paths: paths.slice(0, 20), ...report });
    return report;
  }

  private removeFiles(paths: string[]): void {
    this.pendingRemove.push(...this.store.removeFiles(paths));
    for (const p of paths) this.store.addEvent("file.removed", p);
  }

  private async indexOne(
    path: string,
    size: number,
    mtimeMs: number,
    known: { hash: string; size: number; mtime_ms: number } | undefined,
  ): Promise<"unchanged" | "changed" | "skipped"> {
    if (known && known.size === size && known.mtime_ms === mtimeMs) return "unchanged";
    if (size > this.config.maxFileBytes) {
      if (known) this.removeFiles([path]);
      return "skipped";
    }
    let buf: Buffer;
    try {
      buf = await fs.readFile(join(this.workspace, path));
    } catch {
      if (known) this.removeFiles([path]);
      return "skipped";
    }
    if (looksBinary(buf)) {
      if (known) this.removeFiles([path]);
      return "skipped";
    }
    const hash = sha256(buf);
    if (known && known.hash === hash) {
      this.store.touchFile(path, size, mtimeMs);
      return "unchanged";
    }
    const text = buf.toString("utf8");
    let chunks: Chunk[];
    try {
      chunks = await chunkFile(path, text);
    } catch (err) {
      this.logger.warn({ err, path }, "chunking failed; file indexed as line windows");
      chunks = await chunkFile(`${path}.txt`, text);
      chunks = chunks.map((c) => ({ ...c, path }));
    }
    // code or docs by language; the time is the file's mtime when this content is first indexed
    chunks = chunks.map((c) => ({ ...c, source: sourceOfLang(c.lang), ts: mtimeMs }));
    const { added, removed } = this.store.replaceFile(
      { path, hash, size, mtime_ms: mtimeMs, lang: languageOf(path) },
      chunks,
    );
    this.pendingEmbed.push(...added);
    this.pendingRemove.push(...removed);
    if (known)
      this.store.addEvent("file.changed", path, {
        chunks: chunks.length,
        added: added.length,
        removed: removed.length,
      });
    return "changed";
  }

  /** Store chunks of a non-file source (ids already stored are skipped); embedded at the next flush. */
  addChunks(chunks: Chunk[]): number {
    const fresh = this.store.insertNewChunks(chunks);
    this.pendingEmbed.push(...fresh);
    return fresh.length;
  }

  /** Remove chunks of a non-file source by id. */
  removeChunks(ids: string[]): void {
    if (!ids.length) return;
    this.store.removeChunkIds(ids);
    this.pendingRemove.push(...ids);
  }

  /** Write pending vector changes; returns the number of chunks embedded. */
  async flushVectors(): Promise<number> {
    const remove = this.pendingRemove;
    const add = this.pendingEmbed;
    this.pendingRemove = [];
    this.pendingEmbed = [];
    if (remove.length) await this.vectors.remove(remove);
    for (let i = 0; i < add.length; i += EMBED_BATCH) {
      const batch = add.slice(i, i + EMBED_BATCH);
      const vecs = await this.embedder.embed(batch.map(embedText));
      // also next to the chunk (int8), so the reranker scores BM25-only candidates against the query
      this.store.setVectors(batch.map((c, j) => ({ id: c.id, vector: vecs[j] })));
      await this.vectors.add(
        batch.map((c, j) => ({
          id: c.id,
          path: c.path,
          lang: c.lang,
          source: c.source,
          ts: c.ts,
          vector: vecs[j],
        })),
      );
    }
    return add.length;
  }
}
