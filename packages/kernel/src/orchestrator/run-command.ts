import * as fs from "node:fs";
import * as path from "node:path";
import { OstkError } from "@ostk/lib";
import Database from "better-sqlite3";
import { formatDiagnostic } from "../agentfile/format.js";
import { agentName, loadAgentfile, resolveAgentfilePath } from "../agentfile/load.js";
import type { Agentfile } from "../agentfile/types.js";
import { parseModelRef } from "../agentfile/values.js";
import type { CommandArgs } from "../cli/io.js";
import { connectKernel, workspaceOf } from "../cli/workspace.js";
import type { RunEvent, RunSummary } from "./agent-run.js";
import { DEFAULT_CACHE_URL, probeCache } from "./cache-probe.js";
import { socketKernelPort } from "./kernel-port.js";
import { createProvider } from "./provider-factory.js";
import { runAgentWithRestart } from "./restart.js";
import { type AgentRunRow, AgentRunStore } from "./run-store.js";
import { scopeFor } from "./scope.js";
import { grantedTools } from "./tool-gate.js";

export const runHelp = `Usage: ostk run <file.af | Agentfile | name> [--task "…"] [--model <provider/model>] [--dry-run] [--no-cache] [--json]
       ostk run --resume <session> [--json]
       ostk kill <session>

Runs an Agentfile: the model proposes tool calls, the kernel executes them under
the pin, the sandbox and approvals. Model calls go through @ostk/cache: the
one at OSTK_CACHE_URL, or one answering on 127.0.0.1:8080 when no provider
base URL is set (--no-cache goes direct). Exit 0 when the agent finished, 1 when it stopped
(limit, kill, failure), 6 when it waits for an approval.`;

/** Opens the agent-run tables in the workspace's sessions.db. */
export function openRunStore(workspace: string): AgentRunStore {
  const dir = path.join(workspace, ".ostk");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dir, "sessions.db"));
  db.pragma("busy_timeout = 5000");
  return new AgentRunStore(db);
}

function loadForRun(ref: string | undefined, args: CommandArgs): Agentfile {
  const file = resolveAgentfilePath(ref, args.io.cwd);
  const loaded = loadAgentfile(file, { env: args.io.env, strictVars: true });
  const rel = path.relative(args.io.cwd, file) || file;
  for (const d of loaded.diagnostics)
    (d.severity === "error" ? args.io.err : args.io.err)(formatDiagnostic(d, rel, loaded.source));
  if (!loaded.agentfile) throw new OstkError("agentfile-invalid", `${rel} has errors (above); nothing ran`);
  return loaded.agentfile;
}

/** `ostk run`. */
export async function runCommand(args: CommandArgs): Promise<number> {
  const { flags, io } = args;
  if (flags.help) {
    io.out(runHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const store = openRunStore(workspace);
  try {
    let af: Agentfile;
    let name: string;
    const resume = typeof flags.resume === "string" ? flags.resume : undefined;
    if (resume) {
      const row = store.get(resume);
      if (!row) throw new OstkError("session-unknown", `no agent run ${resume}; "ostk ps" lists runs`);
      if (!row.agentfile_path)
        throw new OstkError("agentfile-missing", `run ${resume} has no Agentfile path to resume from`);
      af = loadForRun(row.agentfile_path, args);
      if (af.sha256 !== row.agentfile_sha256)
        throw new OstkError(
          "agentfile-changed",
          `${row.agentfile_path} changed since run ${resume} started (sha256 differs); start a new run instead`,
        );
      name = row.name;
    } else {
      af = loadForRun(args.args[0], args);
      name = agentName(af.path ?? "agent");
    }
    if (typeof flags.model === "string") {
      const ref = parseModelRef(flags.model);
      if ("error" in ref) throw new OstkError("bad-model", `--model: ${ref.error}`);
      af = { ...af, from: ref };
    }
    const task = typeof flags.task === "string" ? flags.task : undefined;
    // Through a running @ostk/cache unless told otherwise: OSTK_CACHE_URL, or the default port when the
    // user has not pointed the SDKs somewhere else themselves. --no-cache goes direct.
    const env = { ...io.env };
    if (flags["no-cache"]) delete env.OSTK_CACHE_URL;
    else if (
      !env.OSTK_CACHE_URL &&
      !env.ANTHROPIC_BASE_URL &&
      !env.OPENAI_BASE_URL &&
      (await probeCache(DEFAULT_CACHE_URL))
    )
      env.OSTK_CACHE_URL = DEFAULT_CACHE_URL;
    const { provider, baseURL, viaCache } = createProvider(af.from, { env });
    if (flags["dry-run"]) {
      const plan = {
        agent: name,
        agentfile: af.path,
        sha256: af.sha256,
        model: `${provider.provider}/${provider.model}`,
        endpoint: baseURL,
        via_cache: viaCache,
        tools: grantedTools(af.tools).map((t) => t.spec.name),
        scope: scopeFor(af),
        limits: af.limits,
        isolation: af.isolation,
        task: task ?? af.task ?? null,
      };
      io.out(
        flags.json
          ? JSON.stringify(plan)
          : Object.entries(plan)
              .map(([k, v]) => `${k.padEnd(10)} ${typeof v === "string" ? v : JSON.stringify(v)}`)
              .join("\n"),
      );
      return 0;
    }
    if (!viaCache)
      io.err(
        "ostk run: OSTK_CACHE_URL is not set — model calls go straight to the provider (no cache, no ledger)",
      );
    const client = await connectKernel(workspace, flags, io, `agent:${name}`);
    // Live output of the agent's commands and approval prompts, for the human watching (not with --json).
    const unlisten = flags.json
      ? []
      : [
          client.rpc.onNotification("exec/output", (p: { chunk?: string }) => {
            if (p?.chunk) io.err(`  │ ${p.chunk.replace(/\n$/, "").split("\n").join("\n  │ ")}`);
          }),
          client.rpc.onNotification(
            "approval/pending",
            (p: { id?: string; summary?: string; reason?: string }) =>
              io.err(
                `  waiting for approval ${p.id}: ${p.summary} (${p.reason}) — ostk approve ${p.id} | ostk deny ${p.id}`,
              ),
          ),
        ];
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      const summary = await runAgentWithRestart({
        agentfile: af,
        name,
        workspace,
        task,
        resume,
        provider,
        kernel: socketKernelPort(client),
        store,
        signal: ac.signal,
        onEvent: flags.json ? undefined : (e) => progress(e, io.err),
        onRestart: (n, last) =>
          io.err(`run failed (${last.detail ?? last.reason}); RESTART on-failure: resuming, attempt ${n}`),
      });
      io.out(flags.json ? JSON.stringify(summary) : describeSummary(summary));
      return summary.status === "finished" ? 0 : summary.status === "waiting-approval" ? 6 : 1;
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      for (const off of unlisten) off();
      await client.close();
    }
  } finally {
    store.db.close();
  }
}

function progress(e: RunEvent, err: (t: string) => void): void {
  if (e.type === "start") err(`${e.resumed ? "resuming" : "started"} ${e.session} (trace ${e.trace_id})`);
  if (e.type === "model")
    err(
      `turn ${e.turn}: ${e.tool_calls ? `${e.tool_calls} tool call(s)` : "answer"} (${e.usage.input_tokens + e.usage.cache_read_tokens} in / ${e.usage.output_tokens} out, ${Math.round(e.ms)} ms)`,
    );
  if (e.type === "tool")
    err(`  ${e.name}: ${e.is_error ? `error ${e.error ?? ""}` : "ok"} (${Math.round(e.ms)} ms)`);
  if (e.type === "approval") err(`  approval ${e.approval_id}: ${e.outcome ?? e.message}`);
}

export function describeSummary(s: RunSummary): string {
  const lines = [
    `${s.status}${s.reason !== "done" ? ` (${s.reason}${s.detail ? `: ${s.detail}` : ""})` : ""}`,
    `session   ${s.session}   trace ${s.trace_id}`,
    `model     ${s.model}   agentfile sha256 ${s.agentfile_sha256.slice(0, 16)}…`,
    `turns     ${s.turns}, tool calls ${s.tool_calls} (${s.tool_errors} errors), ${Math.round(s.elapsed_ms / 1000)} s`,
    `tokens    ${s.usage.input_tokens} in, ${s.usage.cache_read_tokens} cache read, ${s.usage.cache_write_tokens} cache write, ${s.usage.output_tokens} out — $${s.cost_usd.toFixed(4)}`,
  ];
  if (s.final_text) lines.push("", s.final_text);
  return lines.join("\n");
}

/** Agent runs in the workspace's sessions.db (live ones unless `all`), for `ostk ps`. */
export function listAgentRuns(workspace: string, opts: { all?: boolean } = {}): AgentRunRow[] {
  const file = path.join(workspace, ".ostk", "sessions.db");
  if (!fs.existsSync(file)) return [];
  const store = openRunStore(workspace);
  try {
    return store.list({ all: opts.all }).map((r) => {
      // A live row whose process is gone crashed: show it as such (resume it with --resume).
      if ((r.status === "running" || r.status === "waiting-approval") && r.pid !== null && !alive(r.pid))
        return { ...r, status: r.status, stop_reason: "process-gone", pid: null };
      return r;
    });
  } finally {
    store.db.close();
  }
}

/** Table lines for `ostk ps`. */
export function formatAgentRuns(rows: AgentRunRow[], now = Date.now()): string[] {
  if (!rows.length) return ["no agent runs"];
  return [
    "SESSION                   AGENT         MODEL                          STATUS            TURNS  COST      AGE",
    ...rows.map(
      (r) =>
        `${r.session.slice(0, 24).padEnd(24)}  ${r.name.slice(0, 12).padEnd(12)}  ${`${r.provider}/${r.model}`.slice(0, 30).padEnd(30)}  ${(r.stop_reason === "process-gone" ? "crashed" : r.status).padEnd(16)}  ${String(r.turns).padStart(5)}  $${r.cost_usd.toFixed(3).padEnd(7)}  ${Math.round((now - r.started_at) / 1000)}s`,
    ),
  ];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** `ostk kill <session>`: asks the run to stop (flag in sessions.db) and signals its process. */
export async function killCommand({ args, flags, io }: CommandArgs): Promise<number> {
  const session = args[0];
  if (!session || flags.help) {
    io.out("Usage: ostk kill <session>   stop an agent run and every process it started");
    return session ? 0 : 2;
  }
  const store = openRunStore(workspaceOf(flags, io));
  try {
    const row = store.get(session);
    if (!row) throw new OstkError("session-unknown", `no agent run ${session}; "ostk ps" lists runs`);
    if (row.status !== "running" && row.status !== "waiting-approval") {
      io.out(`${session} is already ${row.status}`);
      return 0;
    }
    store.requestKill(session, Date.now());
    if (row.pid !== null && alive(row.pid)) {
      process.kill(row.pid, "SIGTERM");
      io.out(`asked ${session} (pid ${row.pid}) to stop; its tool processes are killed with it`);
    } else {
      store.markKilled(session, Date.now());
      io.out(`${session} had no live process; marked killed`);
    }
    return 0;
  } finally {
    store.db.close();
  }
}
