import type { Writable } from "node:stream";
import type { ApprovalRequest, ApprovalStatus, ApprovalStore } from "./approval-store.js";

export interface ApprovalsCommandOptions {
  store: ApprovalStore;
  json?: boolean;
  /** Show decided and expired requests too (default: pending only). */
  all?: boolean;
  /** Who decides (`ostk approve`/`deny`); default the OS user. */
  by?: string;
  note?: string;
  stdout?: Writable;
  stderr?: Writable;
}

function age(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** `ostk approvals [--all] [--json]`: the pending requests (or all recent ones). Exit code 0. */
export async function approvalsCommand(opts: ApprovalsCommandOptions): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const list = opts.store.list(opts.all ? {} : { status: "pending" });
  if (opts.json) {
    out.write(`${JSON.stringify(list)}\n`);
    return 0;
  }
  if (list.length === 0) {
    out.write(opts.all ? "no approval requests\n" : "no pending approvals\n");
    return 0;
  }
  const now = Date.now();
  for (const r of list) {
    const when =
      r.status === "pending"
        ? `expires in ${age(r.expiresAt - now)}`
        : `${r.status} ${age(now - (r.decidedAt ?? r.expiresAt))} ago`;
    out.write(`${r.id}  ${r.status.padEnd(8)}  ${when.padEnd(16)}  ${r.summary}\n`);
    out.write(
      `    ${r.reason} [${r.rule}]${r.session ? ` session ${r.session}` : ""}${r.actor ? ` by ${r.actor}` : ""}\n`,
    );
  }
  if (!opts.all) out.write("approve with `ostk approve <id>`, refuse with `ostk deny <id>`\n");
  return 0;
}

/** `ostk approve <id>`: approve a pending request (its call then runs once). Exit 1 if it cannot be approved. */
export async function approveCommand(id: string, opts: ApprovalsCommandOptions): Promise<number> {
  return decideCommand(id, "approved", opts);
}

/** `ostk deny <id>`: refuse a pending request (its call never runs). Exit 1 if it is not pending. */
export async function denyCommand(id: string, opts: ApprovalsCommandOptions): Promise<number> {
  return decideCommand(id, "denied", opts);
}

async function decideCommand(
  id: string,
  status: "approved" | "denied",
  opts: ApprovalsCommandOptions,
): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const by = opts.by ?? process.env.USER ?? "cli";
  const ok = opts.store.decide(id, status, { by, note: opts.note, channel: "cli" });
  const req = opts.store.get(id);
  if (opts.json) {
    out.write(`${JSON.stringify({ ok, request: req ?? null })}\n`);
    return ok ? 0 : 1;
  }
  if (ok) {
    out.write(`${status === "approved" ? "approved" : "denied"} ${id}: ${req?.summary ?? ""}\n`);
    return 0;
  }
  err.write(`ostk: cannot ${status === "approved" ? "approve" : "deny"} ${id}: ${whyNot(req)}\n`);
  return 1;
}

function whyNot(req: ApprovalRequest | undefined): string {
  if (!req) return "no such request (see `ostk approvals --all`)";
  const s: ApprovalStatus = req.status;
  if (s === "expired") return "it expired and was denied; nothing ran. Re-run the command to ask again";
  return `it is already ${s}${req.decidedBy ? ` by ${req.decidedBy}` : ""}`;
}
