import { OstkRpcError } from "@ostk/lib";
import type { ApprovalGate } from "../approvals/approval-gate.js";
import type { DecisionContext } from "../policy/decide.js";
import type { Pin } from "../policy/pin-caps.js";
import { type ExecRecordEvent, governedExec } from "./governed-exec.js";
import type { SandboxLogger } from "./run-sandboxed.js";
import type { SandboxPolicy } from "./sandbox-policy.js";

/** What these handlers need from a kernel call context (structurally the kernel's KernelCallContext). */
export interface SandboxCallContext {
  actor?: { id: string; kind?: string; session?: string };
  notify?(method: string, params: Record<string, unknown>): void;
  signal?: AbortSignal;
}

export type SandboxMethod = (params: unknown, ctx: SandboxCallContext) => Promise<unknown>;

export interface SandboxMethodsDeps {
  workspace: string;
  /** The active pin, read per call (throws — fail-closed — when it does not parse). */
  pin(): Pin;
  gate: ApprovalGate;
  /** Base sandbox policy from configuration: network, limits, secret paths (the key directory!). */
  policy?(): SandboxPolicy;
  /** Per-session inputs of the decision chain: grant, session allow-list, risky patterns… */
  decisionContext?(ctx: SandboxCallContext): Omit<DecisionContext, "pin" | "approved">;
  /** Journal each decision, approval outcome and exec result (with the files it changed). */
  record(event: ExecRecordEvent, data: Record<string, unknown>, ctx: SandboxCallContext): Promise<void>;
  approvalTtlMs?: number;
  /** Cap on a call's timeout. Default 1 hour. */
  maxTimeoutMs?: number;
  logger?: SandboxLogger;
}

function obj(p: unknown): Record<string, unknown> {
  if (p === null || typeof p !== "object" || Array.isArray(p))
    throw new OstkRpcError("InvalidParams", "params must be an object");
  return p as Record<string, unknown>;
}
function optNum(p: Record<string, unknown>, k: string, max: number): number | undefined {
  const v = p[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0 || v > max) {
    throw new OstkRpcError("InvalidParams", `${k} must be an integer in 1..${max}`);
  }
  return v;
}
function str(p: Record<string, unknown>, k: string, required: true): string;
function str(p: Record<string, unknown>, k: string, required?: false): string | undefined;
function str(p: Record<string, unknown>, k: string, required = false): string | undefined {
  const v = p[k];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > 100_000 || v.includes("\0")) {
    throw new OstkRpcError(
      "InvalidParams",
      `${k} must be a non-empty string without NUL (at most 100000 characters)`,
    );
  }
  return v;
}

/**
 * JSON-RPC handlers for the bash syscall and the approval gate: `exec` (streams `exec/output` and
 * `approval/pending` notifications), `approvals/list`, `approvals/approve`, `approvals/deny`.
 * The kernel registers them; this module owns their behaviour.
 */
export function sandboxMethods(deps: SandboxMethodsDeps): Record<string, SandboxMethod> {
  return {
    exec: async (params, ctx) => {
      const p = obj(params);
      const command = str(p, "command", true);
      const env = p.env === undefined ? undefined : (obj(p.env) as Record<string, string>);
      if (env && Object.values(env).some((v) => typeof v !== "string")) {
        throw new OstkRpcError("InvalidParams", "env values must be strings");
      }
      const session = ctx.actor?.session;
      const out = await governedExec({
        workspace: deps.workspace,
        command,
        pin: deps.pin(),
        policy: deps.policy?.(),
        decisionContext: deps.decisionContext?.(ctx),
        gate: deps.gate,
        approvalTtlMs: deps.approvalTtlMs,
        session,
        actor: ctx.actor?.id,
        cwd: str(p, "cwd"),
        timeoutMs: optNum(p, "timeoutMs", deps.maxTimeoutMs ?? 3_600_000),
        maxOutputBytes: optNum(p, "maxOutputBytes", 64 * 1024 * 1024),
        env,
        signal: ctx.signal,
        logger: deps.logger,
        record: (event, data) => deps.record(event, data, ctx),
        onOutput: (chunk, stream) => ctx.notify?.("exec/output", { stream, chunk: chunk.toString("utf8") }),
        onPending: (req, d) =>
          ctx.notify?.("approval/pending", {
            id: req.id,
            summary: req.summary,
            reason: d.reason,
            rule: d.rule,
            expiresAt: req.expiresAt,
          }),
      });
      if (!out.ran) {
        throw new OstkRpcError(out.kind, out.reason, { rule: out.rule, approvalId: out.approvalId });
      }
      const r = out.result;
      return {
        exitCode: r.exitCode,
        signal: r.signal,
        stdout: r.stdout,
        stderr: r.stderr,
        truncated: r.truncated,
        timedOut: r.timedOut,
        cancelled: r.cancelled,
        durationMs: Math.round(r.durationMs),
        files: out.files,
      };
    },
    "approvals/list": async (params) => {
      const p = params === undefined ? {} : obj(params);
      return { approvals: deps.gate.store.list({ status: p.all === true ? undefined : "pending" }) };
    },
    "approvals/approve": async (params, ctx) => decideMethod(deps.gate, params, ctx, "approve"),
    "approvals/deny": async (params, ctx) => decideMethod(deps.gate, params, ctx, "deny"),
  };
}

async function decideMethod(
  gate: ApprovalGate,
  params: unknown,
  ctx: SandboxCallContext,
  what: "approve" | "deny",
) {
  const p = obj(params);
  const id = str(p, "id", true);
  const by = ctx.actor?.id ?? "unknown";
  const d = { by, note: str(p, "note"), channel: "rpc" };
  const ok = what === "approve" ? gate.approve(id, d) : gate.deny(id, d);
  const req = gate.store.get(id);
  if (!req) throw new OstkRpcError("NotFound", `no approval request ${id}`);
  return { ok, approval: req };
}
