import type { Writable } from "node:stream";
import { OstkRpcError } from "@ostk/lib";
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
  const before = snapshotTree(opts.workspace);
  try {
    const result = await runSandboxed({
      workspace: opts.workspace,
      command,
      policy: opts.policy,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      logger: opts.logger,
      onOutput: opts.json
        ? undefined
        : (chunk, stream) => (stream === "stdout" ? stdout : stderr).write(chunk),
    });
    const files = diffSnapshots(before, snapshotTree(opts.workspace));
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
