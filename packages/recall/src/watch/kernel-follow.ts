import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logger.js";
import { isIndexedJournalEvent, JOURNAL_EVENTS } from "../source/journal-source.js";

export type KernelFollowState = "off" | "following" | "following journal" | "kernel not running" | "failed";

/** Where the journal tail stands (persisted in recall's ingest table so a restart resumes). */
export interface JournalCursor {
  dev: number;
  ino: number;
  offset: number;
}

export interface KernelFollowerOptions {
  /** Resume point for `.ostk/journal.jsonl` when no kernel runs. */
  cursor?: JournalCursor;
  /** Called with the resume point after each delivered journal line. */
  onCursor?: (c: JournalCursor) => void;
  /** Called with each entry recall stores (`JOURNAL_EVENTS`), from the kernel or the journal file. */
  onEntry?: (e: JournalLike) => void;
}

interface JournalLike {
  seq: number;
  ts: number;
  event: string;
  path?: string;
  data?: { to?: string } & Record<string, unknown>;
}

type AuditTail = (
  path: string,
  opts: { cursor?: JournalCursor; signal?: AbortSignal },
) => AsyncIterable<{ entry: JournalLike | null; cursor: JournalCursor }>;

interface KernelLike {
  subscribe(opts: { events?: string[]; signal?: AbortSignal }): AsyncIterable<JournalLike>;
  close(): Promise<void> | void;
}

/**
 * Follows the kernel's journal (the entries recall stores, `JOURNAL_EVENTS`) and
 * hands the paths of committed file changes (`fs.commit`) to `onPaths` — the same path the watcher and the trigger
 * socket use. When no kernel socket is found it tails `.ostk/journal.jsonl`
 * (resuming from a stored cursor) when that exists, else does nothing (the
 * watcher covers the workspace alone). `@ostk/lib` is imported lazily so recall runs
 * standalone even where lib is not built.
 */
export class KernelFollower {
  state: KernelFollowState = "off";
  /** The journal resume point after the last delivered line. */
  lastCursor: JournalCursor | undefined;
  private abort = new AbortController();
  private client: KernelLike | null = null;

  constructor(
    private readonly workspace: string,
    private readonly onPaths: (paths: string[]) => void,
    private readonly logger: Logger,
    private readonly opts: KernelFollowerOptions = {},
  ) {}

  async start(): Promise<KernelFollowState> {
    let lib: { KernelClient: { connect(o: { cwd: string }): Promise<KernelLike> }; auditTail: AuditTail };
    try {
      const name = "@ostk/lib";
      lib = (await import(name)) as typeof lib;
    } catch (err) {
      this.state = "failed";
      this.logger.warn(
        { err },
        "@ostk/lib could not be loaded; not following the kernel (the watcher still runs)",
      );
      return this.state;
    }
    try {
      this.client = await lib.KernelClient.connect({ cwd: this.workspace });
    } catch (err) {
      this.logger.debug({ err }, "no kernel to follow");
      return this.followJournal(lib.auditTail);
    }
    this.state = "following";
    const client = this.client;
    void (async () => {
      try {
        for await (const e of client.subscribe({ events: [...JOURNAL_EVENTS], signal: this.abort.signal }))
          this.deliver(e);
      } catch (err) {
        if (!this.abort.signal.aborted) {
          this.state = "failed";
          this.logger.warn({ err }, "kernel subscription ended; the watcher still covers the workspace");
        }
      }
    })();
    return this.state;
  }

  /** Without a kernel, follow `.ostk/journal.jsonl` (the same committed entries, from the file). */
  private followJournal(auditTail: AuditTail): KernelFollowState {
    const journal = join(this.workspace, ".ostk", "journal.jsonl");
    if (!existsSync(journal)) {
      this.state = "kernel not running";
      return this.state;
    }
    this.state = "following journal";
    void (async () => {
      try {
        for await (const item of auditTail(journal, {
          cursor: this.opts.cursor,
          signal: this.abort.signal,
        })) {
          if (item.entry && isIndexedJournalEvent(item.entry.event)) this.deliver(item.entry);
          this.lastCursor = item.cursor;
          this.opts.onCursor?.(item.cursor);
        }
      } catch (err) {
        if (!this.abort.signal.aborted) {
          this.state = "failed";
          this.logger.warn({ err }, "journal tail ended; the watcher still covers the workspace");
        }
      }
    })();
    return this.state;
  }

  /** A committed file change re-indexes its paths; every stored kind of entry goes to `onEntry`. */
  private deliver(e: JournalLike): void {
    if (e.event === "fs.commit") {
      const paths = [e.path, e.data?.to].filter((p): p is string => typeof p === "string" && p.length > 0);
      if (paths.length) this.onPaths(paths);
    }
    this.opts.onEntry?.(e);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.client?.close();
    this.client = null;
    this.state = "off";
  }
}
