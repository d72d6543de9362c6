import { resolve } from "node:path";
import watcher, { type AsyncSubscription } from "@parcel/watcher";
import type { Logger } from "../logger.js";
import { ALWAYS_IGNORED, toRel } from "../scan/walk.js";

export interface WatcherOptions {
  workspace: string;
  debounceMs: number;
  maxWaitMs: number;
  reconcileMs: number;
  /** Index these workspace-relative paths (files, directories or deleted paths). */
  onPaths: (paths: string[]) => Promise<void>;
  /** Full reconcile scan. */
  onRescan: () => Promise<void>;
  /** The watched directory itself was deleted (a watch on it reports nothing once it is made again). */
  onRootDeleted?: () => void;
  logger: Logger;
}

export interface WatchStatus {
  running: boolean;
  pending: number;
  batches: number;
  lastBatchAt: number | null;
  lastError: string | null;
}

/**
 * Debounced workspace watcher on @parcel/watcher. Events are coalesced into
 * batches (trailing debounce, bounded by maxWait); directories are handed over
 * whole so their subtree is walked (parcel misses files created inside newly
 * created nested directories); a periodic reconcile scan catches anything else.
 */
export class Watcher {
  private sub: AsyncSubscription | null = null;
  private pending = new Set<string>();
  private rescan = false;
  private firstPendingAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private st: WatchStatus = { running: false, pending: 0, batches: 0, lastBatchAt: null, lastError: null };

  constructor(private readonly opts: WatcherOptions) {}

  async start(): Promise<void> {
    if (this.sub) return;
    this.sub = await watcher.subscribe(
      this.opts.workspace,
      (err, events) => {
        if (err) {
          this.st.lastError = err.message;
          this.opts.logger.warn({ err }, "watcher error; scheduling a reconcile scan");
          this.enqueueRescan();
          return;
        }
        const paths: string[] = [];
        for (const e of events) {
          const rel = toRel(this.opts.workspace, e.path);
          if (rel) paths.push(rel);
          else if (e.type === "delete" && resolve(e.path) === resolve(this.opts.workspace))
            this.opts.onRootDeleted?.();
        }
        this.enqueue(paths);
      },
      { ignore: ALWAYS_IGNORED.map((d) => d.slice(0, -1)) },
    );
    this.st.running = true;
    if (this.opts.reconcileMs > 0) {
      this.reconcileTimer = setInterval(() => this.enqueueRescan(), this.opts.reconcileMs);
      this.reconcileTimer.unref();
    }
  }

  enqueue(paths: string[]): void {
    if (!paths.length) return;
    if (!this.pending.size && !this.rescan) this.firstPendingAt = Date.now();
    for (const p of paths) this.pending.add(p);
    this.schedule();
  }

  enqueueRescan(): void {
    if (!this.pending.size && !this.rescan) this.firstPendingAt = Date.now();
    this.rescan = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const waited = Date.now() - this.firstPendingAt;
    const delay = Math.max(0, Math.min(this.opts.debounceMs, this.opts.maxWaitMs - waited));
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  /** Run one batch; a batch never overlaps another. Resolves when everything queued so far is indexed. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) {
      await this.running;
      if (this.pending.size || this.rescan) return this.flush();
      return;
    }
    if (!this.pending.size && !this.rescan) return;
    const paths = [...this.pending];
    const rescan = this.rescan;
    this.pending.clear();
    this.rescan = false;
    this.running = (async () => {
      try {
        if (rescan) await this.opts.onRescan();
        else await this.opts.onPaths(paths);
        this.st.batches++;
        this.st.lastBatchAt = Date.now();
      } catch (err) {
        this.st.lastError = (err as Error).message;
        this.opts.logger.error({ err }, "index pass failed; will retry with a reconcile scan");
        this.rescan = true;
      }
    })();
    await this.running;
    this.running = null;
    if (this.pending.size || this.rescan) this.schedule();
  }

  status(): WatchStatus {
    return { ...this.st, pending: this.pending.size + (this.rescan ? 1 : 0) };
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.timer = null;
    this.reconcileTimer = null;
    await this.sub?.unsubscribe();
    this.sub = null;
    if (this.running) await this.running;
    this.st.running = false;
  }
}
