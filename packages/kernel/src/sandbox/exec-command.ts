import type { Writable } from "node:stream";
import { OstkRpcError } from "@ostk/lib";
import type { ApprovalGate } from "../approvals/approval-gate.js";
import type { DecisionContext } from "../policy/decide.js";
import { defaultPin, type Pin } from "../policy/pin-caps.js";
import { type ExecRecordEvent, governedExec } from "./governed-exec.js";
import type { SandboxLogger } from "./run-sandboxed.js";
import type { SandboxPolicy } from "./sandbox-policy.js";

export interface ExecCommandOptions {
  workspace: string;
  policy?: SandboxPolicy;
  timeoutMs?: number;
  json?: boolean;
  stdout?: Writable;
  stderr?: Writable;
  signal?: AbortSignal;
  logger?: SandboxLogger;
  /** The active pin (default: the built-in default pin). The command passes the decision chain first. */
  pin?: Pin;
  decisionContext?: Omit<DecisionContext, "pin" | "approved">;
  /** Where `ask` decisions wait for a human; without one, `ask` is refused. */
  gate?: ApprovalGate;
  approvalTtlMs?: number;
  session?: string;
  actor?: string;
  /** Each decision, approval outcome and result, for the kernel's journal. */
  record?: (event: ExecRecordEvent, data: Record<string, unknown>) => void | Promise<void>;
}

/**
 * `ostk exec -- <command...>`: one command through the decision chain and the sandbox, output streamed.
 * One argument is a shell command line; several are an argv. Returns the exit code: the command's,
 * 124 on timeout, 125 when the sandbox is unavailable, 126 when the policy or a human refused.
 * With `json`, prints one object: the result plus the files the command changed.
 */
export async function execCommand(argv: string[], opts: ExecCommandOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  if (argv.length === 0) {
    stderr.write("usage: ostk exec -- <command> [args...]\n");
    return 2;
  }
  try {
    const out = await governedExec({
      workspace: opts.workspace,
      command: argv.length === 1 ? argv[0]! : argv,
      pin: opts.pin ?? defaultPin(),
      policy: opts.policy,
      decisionContext: opts.decisionContext,
      gate: opts.gate,
      approvalTtlMs: opts.approvalTtlMs,
      session: opts.session,
      actor: opts.actor,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      logger: opts.logger,
      record: opts.record,
      onOutput: opts.json
        ? undefined
        : (chunk, stream) => (stream === "stdout" ? stdout : stderr).write(chunk),
      onPending: (req, d) =>
        stderr.write(
          `ostk exec: ${d.reason} — waiting for approval: run \`ostk approve ${req.id}\` (or \`ostk deny ${req.id}\`)\n`,
        ),
    });
    if (!out.ran) {
      if (opts.json) stdout.write(`${JSON.stringify({ refused: out })}\n`);
      else stderr.write(`ostk exec: ${out.reason}; nothing was run\n`);
      return 126;
    }
    const { result, files } = out;
    if (opts.json) stdout.write(`${JSON.stringify({ ...result, files })}\n`);
    else if (result.timedOut) {
      stderr.write(
        `ostk exec: timed out after ${Math.round(result.durationMs)} ms; every process it started was killed\n`,
      );
    }
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
