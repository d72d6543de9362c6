import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";

export interface SessionRow {
  id: string;
  client: string;
  client_version: string;
  kind: string;
  actor_id: string;
  started_at: number;
  last_seen: number;
  tool_calls: number;
  tokens: number;
  ended_at: number | null;
  scope: string | null;
  /** JSON of the opening process as the OS reported it (`JournalPeer`), or null. */
  peer: string | null;
}

/** `.ostk/sessions.db`: clients, sessions, token and tool-call counts (WAL mode). */
export class SessionsDb {
  readonly db: Database.Database;
  private touchStmt: Database.Statement;
  private pendingTouches = new Map<string, { calls: number; tokens: number; ts: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        client TEXT NOT NULL,
        client_version TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        ended_at INTEGER,
        scope TEXT
      );
      CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions(last_seen);
    `);
    // Added after the first release: a sessions.db from before it gains the column.
    const columns = this.db.prepare("PRAGMA table_info(sessions)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "peer")) this.db.exec("ALTER TABLE sessions ADD COLUMN peer TEXT");
    this.touchStmt = this.db.prepare(
      "UPDATE sessions SET tool_calls = tool_calls + ?, tokens = tokens + ?, last_seen = ? WHERE id = ?",
    );
  }

  open(s: {
    client: string;
    client_version?: string;
    kind: string;
    actor_id: string;
    scope?: unknown;
    id?: string;
    peer?: unknown;
  }): SessionRow {
    const now = Date.now();
    const row: SessionRow = {
      id: s.id ?? randomUUID(),
      client: s.client,
      client_version: s.client_version ?? "",
      kind: s.kind,
      actor_id: s.actor_id,
      started_at: now,
      last_seen: now,
      tool_calls: 0,
      tokens: 0,
      ended_at: null,
      scope: s.scope === undefined ? null : JSON.stringify(s.scope),
      peer: s.peer === undefined ? null : JSON.stringify(s.peer),
    };
    this.db
      .prepare(
        `INSERT OR IGNORE INTO sessions (id, client, client_version, kind, actor_id, started_at, last_seen, scope, peer)
         VALUES (@id, @client, @client_version, @kind, @actor_id, @started_at, @last_seen, @scope, @peer)`,
      )
      .run(row);
    return this.get(row.id) ?? row;
  }

  get(id: string): SessionRow | undefined {
    return this.db.prepare("SELECT * FROM sessions WHERE id = ?").get(id) as SessionRow | undefined;
  }

  /** Count one tool call (batched: written at most every 200 ms). */
  touch(id: string, tokens = 0): void {
    const p = this.pendingTouches.get(id) ?? { calls: 0, tokens: 0, ts: 0 };
    p.calls++;
    p.tokens += tokens;
    p.ts = Date.now();
    this.pendingTouches.set(id, p);
    this.timer ??= setTimeout(() => this.flush(), 200);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pendingTouches.size) return;
    const items = [...this.pendingTouches];
    this.pendingTouches.clear();
    this.db.transaction(() => {
      for (const [id, p] of items) this.touchStmt.run(p.calls, p.tokens, p.ts, id);
    })();
  }

  end(id: string): void {
    this.db.prepare("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL").run(Date.now(), id);
  }

  list(activeOnly = false): SessionRow[] {
    this.flush();
    return this.db
      .prepare(
        `SELECT * FROM sessions ${activeOnly ? "WHERE ended_at IS NULL" : ""} ORDER BY started_at DESC LIMIT 1000`,
      )
      .all() as SessionRow[];
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
