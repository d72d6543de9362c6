import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";

export interface ApprovalRequest {
  id: string;
  /** sha256 of the exact call (see `callHash`): an approval is valid for that call only. */
  callHash: string;
  /** What a human sees: verb, path or (redacted) command. */
  summary: string;
  /** The redacted call, as JSON. */
  call: unknown;
  session: string | null;
  actor: string | null;
  reason: string;
  rule: string;
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
  /** Which channel decided (`cli`, `mcp-elicitation`, `web`…). */
  channel: string | null;
  /** When the approved call was run (an approval is used at most once). */
  consumedAt: number | null;
}

interface Row {
  id: string;
  call_hash: string;
  summary: string;
  call_json: string;
  session: string | null;
  actor: string | null;
  reason: string;
  rule: string;
  status: ApprovalStatus;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  note: string | null;
  channel: string | null;
  consumed_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  call_hash TEXT NOT NULL,
  summary TEXT NOT NULL,
  call_json TEXT NOT NULL,
  session TEXT,
  actor TEXT,
  reason TEXT NOT NULL,
  rule TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','expired')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  note TEXT,
  channel TEXT,
  consumed_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, expires_at);
`;

function fromRow(r: Row): ApprovalRequest {
  return {
    id: r.id,
    callHash: r.call_hash,
    summary: r.summary,
    call: JSON.parse(r.call_json) as unknown,
    session: r.session,
    actor: r.actor,
    reason: r.reason,
    rule: r.rule,
    status: r.status,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    note: r.note,
    channel: r.channel,
    consumedAt: r.consumed_at,
  };
}

export interface NewApproval {
  callHash: string;
  summary: string;
  call: unknown;
  session?: string;
  actor?: string;
  reason: string;
  rule: string;
  ttlMs: number;
}

export interface Decide {
  by: string;
  note?: string;
  channel: string;
}

/**
 * Approvals in the kernel's `sessions.db` (the caller owns the Database handle; this class only creates
 * and uses its own `approvals` table). Every transition is a single conditional UPDATE, so two channels
 * racing to decide the same request cannot both win, and an expired request can never be approved.
 */
export class ApprovalStore {
  private readonly stmts;

  constructor(
    readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(SCHEMA);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO approvals (id, call_hash, summary, call_json, session, actor, reason, rule, status, created_at, expires_at)
         VALUES (@id, @call_hash, @summary, @call_json, @session, @actor, @reason, @rule, 'pending', @created_at, @expires_at)`,
      ),
      get: db.prepare("SELECT * FROM approvals WHERE id = ?"),
      list: db.prepare("SELECT * FROM approvals ORDER BY created_at DESC LIMIT ?"),
      listStatus: db.prepare("SELECT * FROM approvals WHERE status = ? ORDER BY created_at DESC LIMIT ?"),
      decide: db.prepare(
        `UPDATE approvals SET status = @status, decided_at = @now, decided_by = @by, note = @note, channel = @channel
         WHERE id = @id AND status = 'pending' AND expires_at > @now`,
      ),
      expire: db.prepare(
        "UPDATE approvals SET status = 'expired', decided_at = ? WHERE status = 'pending' AND expires_at <= ?",
      ),
      consume: db.prepare(
        "UPDATE approvals SET consumed_at = ? WHERE id = ? AND call_hash = ? AND status = 'approved' AND consumed_at IS NULL",
      ),
    };
  }

  create(req: NewApproval): ApprovalRequest {
    const now = this.now();
    const id = `ap_${randomBytes(6).toString("hex")}`;
    this.stmts.insert.run({
      id,
      call_hash: req.callHash,
      summary: req.summary,
      call_json: JSON.stringify(req.call ?? null),
      session: req.session ?? null,
      actor: req.actor ?? null,
      reason: req.reason,
      rule: req.rule,
      created_at: now,
      expires_at: now + req.ttlMs,
    });
    return this.get(id)!;
  }

  /** The request, with a due expiry applied first. */
  get(id: string): ApprovalRequest | undefined {
    this.expireDue();
    const row = this.stmts.get.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(opts: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRequest[] {
    this.expireDue();
    const limit = opts.limit ?? 100;
    const rows = (
      opts.status ? this.stmts.listStatus.all(opts.status, limit) : this.stmts.list.all(limit)
    ) as Row[];
    return rows.map(fromRow);
  }

  /** Approve or deny a pending, unexpired request. False when it was already decided or has expired. */
  decide(id: string, status: "approved" | "denied", d: Decide): boolean {
    this.expireDue();
    const r = this.stmts.decide.run({
      id,
      status,
      now: this.now(),
      by: d.by,
      note: d.note ?? null,
      channel: d.channel,
    });
    return r.changes === 1;
  }

  /** Mark every overdue pending request expired; returns how many changed. */
  expireDue(): number {
    const now = this.now();
    return this.stmts.expire.run(now, now).changes;
  }

  /** Use an approval: true exactly once, and only for the call it was made for. */
  consume(id: string, callHash: string): boolean {
    return this.stmts.consume.run(this.now(), id, callHash).changes === 1;
  }
}
