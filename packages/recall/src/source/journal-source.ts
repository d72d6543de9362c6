import { existsSync } from "node:fs";
import { join } from "node:path";
import type { JournalEntry } from "@ostk/lib";
import { sha256 } from "../chunk/chunk-file.js";
import type { Chunk } from "../chunk/types.js";
import type { Indexer } from "../indexer.js";
import type { Logger } from "../logger.js";
import type { SqliteStore } from "../store/sqlite-store.js";

/** The journal entry fields recall reads (`@ostk/lib`'s JournalEntry; the actor may be partial). */
export type JournalEntryLike = Pick<JournalEntry, "seq" | "ts" | "event"> &
  Partial<
    Pick<JournalEntry, "path" | "gen_before" | "gen_after" | "hash_before" | "hash_after" | "data" | "sig">
  > & {
    actor?: Partial<JournalEntry["actor"]>;
  };

export interface JournalIngestState {
  /** Where the tail of `.ostk/journal.jsonl` stands (auditTail cursor). */
  cursor?: { dev: number; ino: number; offset: number };
  /** Highest seq stored as an event. */
  lastSeq: number;
  at: number;
}

export const JOURNAL_INGEST_KEY = "journal-events";

const OP_WORDS: Record<string, string> = {
  write: "written",
  edit: "edited",
  delete: "deleted",
  move: "moved",
  mkdir: "directory created",
  rmdir: "directory removed",
  external: "changed outside the kernel",
  exec: "changed by a command",
};

/**
 * One searchable event per committed change (`fs.commit`): who changed which
 * path, how, and when; a move is listed under its target path too. Ids are
 * derived from the entry's seq and signature, so the same entry read from the
 * kernel subscription or from the file is stored once.
 */
export function journalChunks(e: JournalEntryLike): Chunk[] {
  const c = journalChunk(e);
  if (!c) return [];
  const to = typeof e.data?.to === "string" ? e.data.to : undefined;
  const here = to && to !== c.path ? journalChunk(e, to) : null;
  return here ? [c, here] : [c];
}

/** The event as seen from `e.path`, or from a move's target (`movedTo`). */
function journalChunk(e: JournalEntryLike, movedTo?: string): Chunk | null {
  if (e.event !== "fs.commit" || typeof e.path !== "string" || !e.path) return null;
  const op = typeof e.data?.op === "string" ? e.data.op : "change";
  const to = typeof e.data?.to === "string" ? e.data.to : undefined;
  const actor = e.actor ?? {};
  const who = `${actor.id ?? "unknown"}${actor.kind ? ` (${actor.kind}${actor.session ? `, session ${actor.session}` : ""})` : ""}`;
  const when = new Date(e.ts).toISOString();
  const lines = [
    movedTo
      ? `${movedTo} moved here from ${e.path} by ${who} at ${when}`
      : `${e.path} ${OP_WORDS[op] ?? op}${to ? ` to ${to}` : ""} by ${who} at ${when}`,
    `op ${op}; journal seq ${e.seq}${
      e.gen_before !== undefined || e.gen_after !== undefined
        ? `; generation ${e.gen_before ?? "?"} → ${e.gen_after ?? "?"}`
        : ""
    }${typeof e.data?.size === "number" ? `; ${e.data.size} bytes` : ""}`,
  ];
  if (e.hash_after) lines.push(`content sha256 ${e.hash_after}`);
  if (typeof e.data?.noticed_by === "string") lines.push(`noticed by ${e.data.noticed_by}`);
  const text = lines.join("\n");
  return {
    id: sha256(`journal\0${e.seq}\0${e.sig ?? ""}\0${movedTo ?? ""}\0${sha256(text)}`).slice(0, 24),
    source: "journal",
    path: movedTo ?? e.path,
    startLine: e.seq,
    endLine: e.seq,
    symbol: `${op} by ${actor.id ?? "unknown"}`,
    kind: "event",
    lang: "text",
    text,
    ts: e.ts,
  };
}

type AuditTail = (
  path: string,
  opts: { cursor?: JournalIngestState["cursor"]; follow?: boolean; signal?: AbortSignal },
) => AsyncIterable<{ entry: JournalEntryLike | null; cursor: { dev: number; ino: number; offset: number } }>;

/** `.ostk/journal.jsonl` as a source of searchable events, read incrementally from a stored cursor. */
export class JournalSource {
  readonly file: string;

  constructor(
    workspace: string,
    private readonly store: SqliteStore,
    private readonly indexer: Indexer,
    private readonly logger: Logger,
  ) {
    this.file = join(workspace, ".ostk", "journal.jsonl");
  }

  state(): JournalIngestState | undefined {
    return this.store.getIngest<JournalIngestState>(JOURNAL_INGEST_KEY);
  }

  /** Store events for entries received live (the kernel subscription); returns how many were new. */
  ingestEntries(entries: JournalEntryLike[]): number {
    const chunks = entries.flatMap(journalChunks);
    return chunks.length ? this.indexer.addChunks(chunks) : 0;
  }

  /** Read the journal from the stored cursor to its end; returns the number of new events. */
  async catchUp(signal?: AbortSignal): Promise<number> {
    if (!existsSync(this.file)) return 0;
    const { auditTail } = (await import("@ostk/lib")) as unknown as { auditTail: AuditTail };
    const prev = this.state();
    let cursor = prev?.cursor;
    let lastSeq = prev?.lastSeq ?? 0;
    let added = 0;
    let batch: Chunk[] = [];
    const flush = () => {
      if (batch.length) added += this.indexer.addChunks(batch);
      batch = [];
    };
    try {
      for await (const item of auditTail(this.file, { cursor, follow: false, signal })) {
        cursor = item.cursor;
        const cs = item.entry ? journalChunks(item.entry) : [];
        if (cs.length && item.entry) {
          batch.push(...cs);
          lastSeq = Math.max(lastSeq, item.entry.seq);
        }
        if (batch.length >= 1000) flush();
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      this.logger.warn({ err, file: this.file }, "reading the journal failed; events so far are kept");
    }
    flush();
    this.store.setIngest(JOURNAL_INGEST_KEY, {
      cursor,
      lastSeq,
      at: Date.now(),
    } satisfies JournalIngestState);
    return added;
  }
}
