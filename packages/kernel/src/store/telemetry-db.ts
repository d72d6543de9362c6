import Database from "better-sqlite3";

export interface CallRecord {
  ts: number;
  trace_id: string | null;
  actor: string;
  session: string | null;
  tool: string;
  duration_ms: number;
  outcome: "ok" | "error";
  error_code: number | null;
}

/** `.ostk/telemetry.db`: one row per syscall, inserted in batches off the hot path (WAL mode). */
export class TelemetryDb {
  readonly db: Database.Database;
  private queue: CallRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private insert: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS calls (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        trace_id TEXT,
        actor TEXT NOT NULL,
        session TEXT,
        tool TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        outcome TEXT NOT NULL,
        error_code INTEGER
      );
      CREATE INDEX IF NOT EXISTS calls_ts ON calls(ts);
    `);
    this.insert = this.db.prepare(
      "INSERT INTO calls (ts, trace_id, actor, session, tool, duration_ms, outcome, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  record(r: CallRecord): void {
    this.queue.push(r);
    if (this.queue.length >= 1000) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 250);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.queue.length) return;
    const rows = this.queue;
    this.queue = [];
    this.db.transaction(() => {
      // Positional binding: about a third cheaper per row than binding by name.
      for (const r of rows)
        this.insert.run(r.ts, r.trace_id, r.actor, r.session, r.tool, r.duration_ms, r.outcome, r.error_code);
    })();
  }

  count(): number {
    this.flush();
    return (this.db.prepare("SELECT count(*) AS n FROM calls").get() as { n: number }).n;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
