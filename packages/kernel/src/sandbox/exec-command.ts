import type { Writable } from "node:stream";
import { OstkRpcError } from "@ostk/lib";
import { type ApprovalGate, askForApproval } from "../approvals/approval-gate.js";
import { type DecisionContext, decide } from "../policy/decide.js";
import type { Pin } from "../policy/pin-caps.js";
import { pinSandboxPolicy } from "../policy/pin-sandbox.js";
import type { ToolCall } from "../policy/tool-call.js";
import { runSandboxed, type SandboxLogger } from "./run-sandboxed.js";
import type { SandboxPolicy } from "./sandbox-policy.js";
import { diffSnapshots, snapshotTree } from "./snapshot.js";

export interface ExecCommandOptions {
  workspace: string;
  policy?: SandboxPolicy;
  timeoutMs?: number;
  json?: boolean;
  stdout?: Writable;
  stderr?: Writable;
  signal?: AbortSignal;
  logger?: SandboxLogger;
  /** The active pin: the command passes the decision chain first, and the pin shapes the sandbox. */
  pin?: Pin;
  decisionContext?: Omit<DecisionContext, "pin" | "approved">;
  /** Where `ask` decisions wait for a human; without one, `ask` is refused. */
  gate?: ApprovalGate;
  approvalTtlMs?: number;
  session?: string;
  actor?: string;
  /** Each decision, approval outcome and result, for the kernel's journal. */
  record?: (event: "decision" | "approval" | "exec", data: Record<string, unknown>) => void | Promise<void>;
}

/**
 * `ostk exec -- <command...>`: run one command in the sandbox from the CLI, streaming its output.
 * Returns the process exit code (the command's, 124 on timeout, 125 when the sandbox refused).
 * With `json`, prints one object: the result plus the files the command changed.
 */
export async function execCommand(argv: string[], opts: ExecCommandOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  if (argv.length === 0) {
    stderr.write("usage: ostk exec -- <command> [args...]\n");
    return 2;
  }
  const command = argv.length === 1 ? argv[0]! : argv;
  const call: ToolCall = {
    verb: "exec",
    command: argv.length === 1 ? argv[0]! : argv.map(shellQuote).join(" "),
  };
  let policy = opts.policy;
  if (opts.pin) {
    const refused = await gateCall(call, opts, opts.pin);
    if (refused) {
      if (opts.json) stdout.write(`${JSON.stringify({ refused })}\n`);
      else stderr.write(`ostk exec: ${refused}; nothing was run\n`);
      return 126;
    }
    policy = pinSandboxPolicy(opts.pin, opts.policy);
  }
  const before = snapshotTree(opts.workspace);
  try {
    const result = await runSandboxed({
      workspace: opts.workspace,
      command,
      policy,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      logger: opts.logger,
      onOutput: opts.json
        ? undefined
        : (chunk, stream) => (stream === "stdout" ? stdout : stderr).write(chunk),
    });
    const files = diffSnapshots(before, snapshotTree(opts.workspace));
    await opts.record?.("exec", {
      call,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      files,
    });
    if (opts.json) stdout.write(`${JSON.stringify({ ...result, files })}\n`);
    else if (result.timedOut)
      stderr.write(
        `ostk exec: timed out after ${Math.round(result.durationMs)} ms; every process it started was killed\n`,
      );
    if (result.timedOut) return 124;
    if (result.exitCode === null) return 128 + 9;
    return result.exitCode;
  } catch (err) {
    if (err instanceof OstkRpcError && err.kind === "SandboxUnavailable") {
      if (opts.json) stdout.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
      else stderr.write(`ostk exec: ${err.message}\n`);
      return 125;
    }
    throw err;
  }
}

/** The decision chain (and a human, for `ask`). Returns why the call is refused, or undefined to run it. */
async function gateCall(call: ToolCall, opts: ExecCommandOptions, pin: Pin): Promise<string | undefined> {
  const d = decide(call, { ...opts.decisionContext, pin });
  await opts.record?.("decision", { call, ...d });
  if (d.decision === "deny") return d.reason;
  if (d.decision === "allow") return undefined;
  if (!opts.gate) return `${d.reason}, and no approver is available`;
  const { outcome, request } = await askForApproval(opts.gate, {
    call,
    decision: d,
    session: opts.session,
    actor: opts.actor,
    ttlMs: opts.approvalTtlMs,
    signal: opts.signal,
    onPending: (req) =>
      (opts.stderr ?? process.stderr).write(
        `ostk exec: ${d.reason} — waiting for approval: run \`ostk approve ${req.id}\` (or \`ostk deny ${req.id}\`)\n`,
      ),
  });
  await opts.record?.("approval", {
    call,
    id: request.id,
    outcome,
    decidedBy: request.decidedBy,
    channel: request.channel,
  });
  if (outcome !== "approved")
    return `approval ${request.id} was ${outcome === "expired" ? "not given in time (expired)" : "denied"}`;
  const again = decide(call, { ...opts.decisionContext, pin, approved: true });
  await opts.record?.("decision", { call, ...again });
  return again.decision === "allow" ? undefined : again.reason;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}
