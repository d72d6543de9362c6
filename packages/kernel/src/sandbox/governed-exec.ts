import { type ApprovalGate, askForApproval } from "../approvals/approval-gate.js";
import type { ApprovalRequest } from "../approvals/approval-store.js";
import { type Decision, type DecisionContext, decide } from "../policy/decide.js";
import type { Pin } from "../policy/pin-caps.js";
import { pinSandboxPolicy } from "../policy/pin-sandbox.js";
import type { ToolCall } from "../policy/tool-call.js";
import { runSandboxed, type SandboxLogger, type SandboxResult } from "./run-sandboxed.js";
import type { SandboxPolicy } from "./sandbox-policy.js";
import { diffSnapshots, type SnapshotDiff, snapshotTree } from "./snapshot.js";

export type ExecRecordEvent = "decision" | "approval" | "exec";

export interface GovernedExecOptions {
  workspace: string;
  /** A shell command line (`/bin/sh -c`) or an argv. */
  command: string | string[];
  pin: Pin;
  /** Base sandbox policy from configuration (network, limits, secret paths such as the key directory). */
  policy?: SandboxPolicy;
  decisionContext?: Omit<DecisionContext, "pin" | "approved">;
  /** Where `ask` decisions wait for a human; without one, `ask` is refused. */
  gate?: ApprovalGate;
  approvalTtlMs?: number;
  session?: string;
  actor?: string;
  cwd?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
  logger?: SandboxLogger;
  onOutput?(chunk: Buffer, stream: "stdout" | "stderr"): void;
  onPending?(request: ApprovalRequest, decision: Decision): void;
  /** Each decision, approval outcome and result, for the kernel's journal. */
  record?(event: ExecRecordEvent, data: Record<string, unknown>): void | Promise<void>;
}

export type GovernedExecOutcome =
  | { ran: true; result: SandboxResult; files: SnapshotDiff; call: ToolCall }
  | {
      ran: false;
      /** `PolicyDenied` (the chain said deny) or `ApprovalDenied` (a human denied, or nobody answered in time). */
      kind: "PolicyDenied" | "ApprovalDenied";
      reason: string;
      rule: string;
      approvalId?: string;
      call: ToolCall;
    };

/**
 * The bash syscall's whole path: decision chain → (human approval) → sandboxed run → which workspace
 * files changed. Nothing runs unless the chain allows it; an approval runs its exact call once.
 */
export async function governedExec(o: GovernedExecOptions): Promise<GovernedExecOutcome> {
  const commandLine = typeof o.command === "string" ? o.command : o.command.map(shellQuote).join(" ");
  const call: ToolCall = { verb: "exec", command: commandLine };
  const ctx = { ...o.decisionContext, pin: o.pin };
  let d = decide(call, ctx);
  await o.record?.("decision", { call, ...d });
  if (d.decision === "deny")
    return { ran: false, kind: "PolicyDenied", reason: d.reason, rule: d.rule, call };
  if (d.decision === "ask") {
    if (!o.gate) {
      return {
        ran: false,
        kind: "ApprovalDenied",
        reason: `${d.reason}, and no approver is available`,
        rule: d.rule,
        call,
      };
    }
    const asked = d;
    const { outcome, request } = await askForApproval(o.gate, {
      call,
      decision: d,
      session: o.session,
      actor: o.actor,
      ttlMs: o.approvalTtlMs,
      signal: o.signal,
      onPending: (req) => o.onPending?.(req, asked),
    });
    await o.record?.("approval", {
      call,
      id: request.id,
      outcome,
      decidedBy: request.decidedBy,
      channel: request.channel,
    });
    if (outcome !== "approved") {
      const why = outcome === "expired" ? "was not given in time (expired)" : "was denied";
      return {
        ran: false,
        kind: "ApprovalDenied",
        reason: `approval ${request.id} ${why}`,
        rule: d.rule,
        approvalId: request.id,
        call,
      };
    }
    d = decide(call, { ...ctx, approved: true });
    await o.record?.("decision", { call, ...d, approvalId: request.id });
    if (d.decision !== "allow")
      return { ran: false, kind: "PolicyDenied", reason: d.reason, rule: d.rule, call };
  }
  const before = snapshotTree(o.workspace);
  const result = await runSandboxed({
    workspace: o.workspace,
    command: o.command,
    policy: pinSandboxPolicy(o.pin, o.policy),
    cwd: o.cwd,
    timeoutMs: o.timeoutMs,
    maxOutputBytes: o.maxOutputBytes,
    env: o.env,
    signal: o.signal,
    logger: o.logger,
    onOutput: o.onOutput,
  });
  const files = diffSnapshots(before, snapshotTree(o.workspace));
  await o.record?.("exec", {
    call,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    durationMs: Math.round(result.durationMs),
    files,
  });
  return { ran: true, result, files, call };
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}
