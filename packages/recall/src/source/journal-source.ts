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
  /** Which events the cursor was read for (`JOURNAL_EVENTS_VERSION`); older: read again from the start. */
  v?: number;
}

export const JOURNAL_INGEST_KEY = "journal-events";

/**
 * The journal events recall stores: committed file changes, commands run through the bash syscall,
 * refusals and questions of the policy (`decision` entries that deny or ask), human
 * approvals, and agent runs (their start and end, not every turn).
 */
export const JOURNAL_EVENTS = [
  "fs.commit",
  "tool.bash",
  "decision",
  "approval.approved",
  "approval.denied",
  "approval.expired",
  "agent.spawn",
  "agent.end",
  "agent.approval",
] as const;
const INDEXED = new Set<string>(JOURNAL_EVENTS);
/** Bumped when what an event holds changes: an index stored under another version is rebuilt from the journal. */
const JOURNAL_EVENTS_VERSION = 2;

/** Whether recall stores this journal event. */
export const isIndexedJournalEvent = (event: string): boolean => INDEXED.has(event);

/** Where events that name no file are listed (the file they are read from). */
export const JOURNAL_PATH = ".ostk/journal.jsonl";

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
 * One searchable event per journal entry recall stores (JOURNAL_EVENTS): who
 * did what to which path or with which command, and when; a move is listed
 * under its target path too. Ids are derived from the entry's seq and
 * signature, so the same entry read from the kernel subscription or from the
 * file is stored once.
 */
export function journalChunks(e: JournalEntryLike): Chunk[] {
  if (e.event !== "fs.commit") {
    const other = activityChunk(e);
    return other ? [other] : [];
  }
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
  const id = e.actor?.id ?? "unknown";
  const who = whoOf(e);
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
  if (typeof e.data?.exec_seq === "number") lines.push(`by the command at journal seq ${e.data.exec_seq}`);
  return eventChunk(e, movedTo ?? e.path, `${op} by ${id}`, lines, movedTo);
}

/** `agent-otter (agent, session s1)`. */
function whoOf(e: JournalEntryLike): string {
  const a = e.actor ?? {};
  return `${a.id ?? "unknown"}${a.kind ? ` (${a.kind}${a.session ? `, session ${a.session}` : ""})` : ""}`;
}

function eventChunk(e: JournalEntryLike, path: string, symbol: string, lines: string[], salt = ""): Chunk {
  const text = lines.join("\n");
  return {
    id: sha256(`journal\0${e.seq}\0${e.sig ?? ""}\0${salt}\0${sha256(text)}`).slice(0, 24),
    source: "journal",
    path,
    startLine: e.seq,
    endLine: e.seq,
    symbol,
    kind: "event",
    lang: "text",
    text,
    ts: e.ts,
  };
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** What a journaled tool call was: `exec npm test`, `write src/a.ts`. */
function callText(call: unknown, path?: string): string {
  const c = (call && typeof call === "object" ? call : {}) as Record<string, unknown>;
  const verb = str(c.verb) ?? "call";
  const target = str(c.command) ?? str(c.path) ?? path ?? "";
  return `${verb}${target ? ` ${target}` : ""}`;
}

/** A command run, a refusal or question of the policy, a human's answer, an agent run starting or ending. */
function activityChunk(e: JournalEntryLike): Chunk | null {
  if (!isIndexedJournalEvent(e.event)) return null;
  const d = (e.data ?? {}) as Record<string, unknown>;
  const id = e.actor?.id ?? "unknown";
  const who = whoOf(e);
  const when = new Date(e.ts).toISOString();
  const path = str(e.path) ?? JOURNAL_PATH;
  if (e.event === "tool.bash") {
    const command = str((d.call as Record<string, unknown> | undefined)?.command) ?? "(command)";
    const files = (d.files ?? {}) as Record<string, unknown>;
    const how = d.timedOut
      ? "timed out"
      : d.cancelled
        ? "was cancelled"
        : d.signal
          ? `was killed by ${String(d.signal)}`
          : `exited ${String(d.exitCode ?? "?")}`;
    const lines = [
      `command \`${command}\` run by ${who} at ${when}: ${how}${typeof d.durationMs === "number" ? ` after ${d.durationMs} ms` : ""}`,
    ];
    for (const [key, word] of [
      ["changed", "changed"],
      ["created", "created"],
      ["deleted", "deleted"],
    ] as const) {
      const paths = list(files[key]);
      if (paths.length)
        lines.push(
          `${word}: ${paths.slice(0, 50).join(", ")}${paths.length > 50 ? ` and ${paths.length - 50} more` : ""}`,
        );
    }
    lines.push(`journal seq ${e.seq}`);
    return eventChunk(e, path, `command by ${id}`, lines);
  }
  if (e.event === "decision") {
    // The bash syscall journals every decision, allow included; the command's own entry covers those.
    if (d.decision !== "deny" && d.decision !== "ask") return null;
    const verdict = d.decision === "ask" ? "needed a human's approval" : "was refused";
    const lines = [
      `\`${callText(d.call, e.path)}\` by ${who} ${verdict} at ${when}`,
      `${str(d.reason) ?? "no reason given"}${str(d.rule) ? ` (rule ${d.rule})` : ""}; journal seq ${e.seq}`,
    ];
    return eventChunk(e, path, `${d.decision === "ask" ? "asked" : "refused"} for ${id}`, lines);
  }
  if (e.event.startsWith("approval.")) {
    const outcome = e.event.slice("approval.".length);
    const by = str(d.decidedBy) ?? str(d.decided_by);
    const lines = [
      `approval ${str(d.id) ?? ""} for \`${callText(d.call, e.path)}\` asked by ${who}: ${outcome}${by ? ` by ${by}` : ""}${str(d.channel) ? ` via ${d.channel}` : ""} at ${when}`,
      `${str(d.rule) ? `rule ${d.rule}; ` : ""}journal seq ${e.seq}`,
    ];
    return eventChunk(e, path, `approval ${outcome} for ${id}`, lines);
  }
  // agent.spawn / agent.end / agent.approval
  const name = str(d.name) ?? str(d.agentfile) ?? str(e.path) ?? "agent";
  const lines =
    e.event === "agent.spawn"
      ? [
          `agent run of ${name} started by ${who} at ${when}${str(d.model) ? ` with ${d.model}` : ""}`,
          `${list(d.tools).length ? `tools ${list(d.tools).join(", ")}; ` : ""}journal seq ${e.seq}`,
        ]
      : [
          `agent run ${e.event === "agent.approval" ? "paused for approval" : `ended ${String(d.status ?? "")}`.trim()} (${who}) at ${when}${str(d.reason) ? `: ${d.reason}` : ""}`,
          `${typeof d.turns === "number" ? `${d.turns} turns; ` : ""}${typeof d.tool_calls === "number" ? `${d.tool_calls} tool calls; ` : ""}${typeof d.cost_usd === "number" ? `$${d.cost_usd}; ` : ""}journal seq ${e.seq}`,
        ];
  return eventChunk(e, path, `${e.event.slice("agent.".length)} by ${id}`, lines);
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
    const current = prev?.v === JOURNAL_EVENTS_VERSION;
    // Stored by an older version (other kinds, other text): read the journal again from the start
    // into a clean slate, so events are neither missing nor stored twice under an old id.
    if (prev && !current) this.indexer.removeChunks(this.store.chunkIdsOfSource("journal"));
    let cursor = current ? prev?.cursor : undefined;
    let lastSeq = current ? (prev?.lastSeq ?? 0) : 0;
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
      v: JOURNAL_EVENTS_VERSION,
    } satisfies JournalIngestState);
    return added;
  }
}
