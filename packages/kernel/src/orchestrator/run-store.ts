import type Database from "better-sqlite3";
import type { ChatMessage, Usage } from "./model-types.js";

export type RunStatus = "running" | "waiting-approval" | "finished" | "stopped" | "failed" | "killed";

export interface AgentRunRow {
  session: string;
  name: string;
  agentfile_path: string | null;
  agentfile_sha256: string;
  provider: string;
  model: string;
  status: RunStatus;
  stop_reason: string | null;
  trace_id: string;
  pid: number | null;
  started_at: number;
  updated_at: number;
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  tool_calls: number;
  /** JSON: what `--resume` needs besides the messages (task, pending approval, elapsed time). */
  snapshot: string;
  summary: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agent_runs (
  session TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  agentfile_path TEXT,
  agentfile_sha256 TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  stop_reason TEXT,
  trace_id TEXT NOT NULL,
  pid INTEGER,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  turns INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  tool_calls INTEGER NOT NULL DEFAULT 0,
  snapshot TEXT NOT NULL DEFAULT '{}',
  summary TEXT
);
CREATE INDEX IF NOT EXISTS agent_runs_status ON agent_runs(status);
CREATE TABLE IF NOT EXISTS agent_messages (
  session TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (session, seq)
);
`;

/**
 * Agent runs and their messages in `sessions.db` (the kernel's database; this
 * class only owns the `agent_runs` and `agent_messages` tables). One
 * transaction per turn: the new messages and the run's counters together, so
 * a crash leaves the last complete turn to resume from.
 */
export class AgentRunStore {
  constructor(readonly db: Database.Database) {
    db.pragma("journal_mode = WAL");
    db.exec(SCHEMA);
  }

  create(row: Omit<AgentRunRow, "updated_at">): void {
    const full: AgentRunRow = { ...row, updated_at: row.started_at };
    const cols = Object.keys(full);
    this.db
      .prepare(`INSERT INTO agent_runs (${cols.join(",")}) VALUES (${cols.map((c) => `@${c}`).join(",")})`)
      .run(full);
  }

  get(session: string): AgentRunRow | undefined {
    return this.db.prepare("SELECT * FROM agent_runs WHERE session = ?").get(session) as
      | AgentRunRow
      | undefined;
  }

  /** Appends messages from `fromSeq` and updates the run row, atomically. */
  saveTurn(
    session: string,
    messages: ChatMessage[],
    fromSeq: number,
    update: Partial<AgentRunRow>,
    now: number,
  ): void {
    const insert = this.db.prepare(
      "INSERT OR REPLACE INTO agent_messages (session, seq, role, content, ts) VALUES (?, ?, ?, ?, ?)",
    );
    const sets = Object.keys(update).map((k) => `${k} = @${k}`);
    const upd = this.db.prepare(
      `UPDATE agent_runs SET ${[...sets, "updated_at = @updated_at"].join(", ")} WHERE session = @session`,
    );
    this.db.transaction(() => {
      for (let i = fromSeq; i < messages.length; i++)
        insert.run(session, i, messages[i].role, JSON.stringify(messages[i]), now);
      upd.run({ ...update, updated_at: now, session });
    })();
  }

  update(session: string, update: Partial<AgentRunRow>, now: number): void {
    this.saveTurn(session, [], 0, update, now);
  }

  messages(session: string): ChatMessage[] {
    const rows = this.db
      .prepare("SELECT content FROM agent_messages WHERE session = ? ORDER BY seq")
      .all(session) as { content: string }[];
    return rows.map((r) => JSON.parse(r.content) as ChatMessage);
  }

  /** Asks a live run to stop: the run checks this flag between steps (and `ostk kill` also signals its pid). */
  requestKill(session: string, now: number): boolean {
    const r = this.db
      .prepare(
        "UPDATE agent_runs SET stop_reason = 'kill-requested', updated_at = ? WHERE session = ? AND status IN ('running','waiting-approval')",
      )
      .run(now, session);
    return r.changes > 0;
  }

  /** Marks a run that is not live any more (its process is gone) as killed. */
  markKilled(session: string, now: number): void {
    this.db
      .prepare(
        "UPDATE agent_runs SET status = 'killed', stop_reason = 'killed', pid = NULL, updated_at = ? WHERE session = ?",
      )
      .run(now, session);
  }

  /** Runs that are not over (running or waiting for an approval), newest first; `all` includes finished ones. */
  list(opts: { all?: boolean; limit?: number } = {}): AgentRunRow[] {
    const where = opts.all ? "" : "WHERE status IN ('running','waiting-approval')";
    return this.db
      .prepare(`SELECT * FROM agent_runs ${where} ORDER BY started_at DESC LIMIT ?`)
      .all(opts.limit ?? 100) as AgentRunRow[];
  }
}

export function usageOf(row: AgentRunRow): Usage {
  return {
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cache_read_tokens: row.cache_read_tokens,
    cache_write_tokens: row.cache_write_tokens,
  };
}
