import { randomBytes } from "node:crypto";
import { childSpan, isRpcError, type Logger, newTrace, OstkError, type TraceContext } from "@ostk/lib";
import type { Agentfile } from "../agentfile/types.js";
import { type ApprovalWaiter, approvalWaiter, decisionOf } from "./approval-wait.js";
import type { KernelPort, RunCaller } from "./kernel-port.js";
import { type LimitName, limitReached } from "./limits.js";
import {
  addUsage,
  type ChatMessage,
  type ModelProvider,
  type ToolCall,
  type ToolResult,
  type Usage,
} from "./model-types.js";
import { costOf, type ModelPrice } from "./prices.js";
import { type AgentRunRow, type AgentRunStore, type RunStatus, usageOf } from "./run-store.js";
import { scopeFor } from "./scope.js";
import { executeToolCall } from "./tool-executor.js";
import { grantedTools } from "./tool-gate.js";

export interface AgentRunOptions {
  agentfile: Agentfile;
  /** Agent name (identity id is `agent:<name>`). */
  name: string;
  provider: ModelProvider;
  kernel: KernelPort;
  store: AgentRunStore;
  /** Overrides the Agentfile's TASK. */
  task?: string;
  /** Continue this session instead of starting one. */
  resume?: string;
  /** Tokens the model may produce per turn (default 4096). */
  maxTokensPerTurn?: number;
  /** Aborting stops the run (ostk kill, SIGTERM). */
  signal?: AbortSignal;
  approvals?: ApprovalWaiter;
  prices?: [RegExp, ModelPrice][];
  now?: () => number;
  logger?: Logger;
  /** How often the run checks sessions.db for a kill request (ms, default 500). */
  killPollMs?: number;
  onEvent?: (e: RunEvent) => void;
}

export type RunEvent =
  | { type: "start"; session: string; trace_id: string; resumed: boolean }
  | { type: "model"; turn: number; text: string; tool_calls: number; usage: Usage; ms: number }
  | { type: "tool"; turn: number; name: string; is_error: boolean; error?: string; ms: number }
  | { type: "approval"; approval_id: string; message: string; outcome?: string }
  | { type: "end"; summary: RunSummary };

export interface RunSummary {
  session: string;
  name: string;
  status: RunStatus;
  /** Why it ended: `done`, `limit:<name>`, `killed`, `model-error`, `approval-pending`… */
  reason: string;
  detail?: string;
  turns: number;
  tool_calls: number;
  tool_errors: number;
  usage: Usage;
  cost_usd: number;
  elapsed_ms: number;
  trace_id: string;
  agentfile_sha256: string;
  model: string;
  final_text: string;
  /** Time spent in the orchestrator itself (not the model, not the tools), per turn, ms. */
  overhead_ms_per_turn: number;
}

interface Snapshot {
  task: string;
  elapsed_ms: number;
  tool_errors: number;
  /** Results already computed for the last assistant message's calls (a batch cut by an approval wait or a crash). */
  partial: ToolResult[];
  pending_approval?: { approval_id: string; call_id: string };
  final_text?: string;
  overhead_ms: number;
  /** The kernel session the run's calls are made in (from `session/negotiate`). */
  kernel_session?: string;
  /** What the kernel granted and refused at negotiation. */
  grant?: { granted?: unknown; denied?: unknown; reason?: string };
}

const SYSTEM_FOOTER =
  "You act only through the tools you are given; the ostk kernel executes them under policy and may refuse a call. A refused or failed call comes back as a tool error: read it and adapt. When the task is done, answer with a short summary and no tool call.";

/** Runs (or resumes) one agent to completion, a limit, a kill, or an approval it cannot wait for. */
export async function runAgent(o: AgentRunOptions): Promise<RunSummary> {
  const now = o.now ?? Date.now;
  const af = o.agentfile;
  const offered = grantedTools(af.tools);
  const offeredNames = offered.map((t) => t.spec.name);
  const approvals = o.approvals ?? approvalWaiter(o.kernel);

  async function negotiate(): Promise<void> {
    try {
      const n = (await o.kernel.call(
        "session/negotiate",
        { scope: scopeFor(af), label: `agent ${o.name}` },
        { identity: { id: `agent:${o.name}`, kind: "agent", name: o.name }, trace: childSpan(trace) },
      )) as { session: string; granted?: unknown; denied?: unknown; reason?: string };
      snap.kernel_session = n.session;
      snap.grant = { granted: n.granted, denied: n.denied, reason: n.reason };
    } catch (err) {
      if (!isRpcError(err, "MethodNotFound")) throw err;
    }
  }

  let row: AgentRunRow;
  let messages: ChatMessage[];
  let snap: Snapshot;
  let trace: TraceContext;
  const resumed = !!o.resume;
  if (o.resume) {
    const found = o.store.get(o.resume);
    if (!found)
      throw new OstkError(
        "session-unknown",
        `no agent run ${o.resume} in sessions.db; "ostk ps --all" lists runs`,
      );
    if (found.status === "finished" || found.status === "killed")
      throw new OstkError("session-over", `agent run ${o.resume} is ${found.status}; nothing to resume`);
    if (
      (found.status === "running" || found.status === "waiting-approval") &&
      found.pid &&
      found.pid !== process.pid &&
      pidAlive(found.pid)
    )
      throw new OstkError(
        "session-live",
        `agent run ${o.resume} is still live in process ${found.pid}; "ostk kill ${o.resume}" stops it`,
      );
    row = found;
    messages = o.store.messages(o.resume);
    snap = JSON.parse(found.snapshot) as Snapshot;
    trace = { traceId: found.trace_id, spanId: randomBytes(8).toString("hex"), sampled: true };
  } else {
    const task = o.task ?? af.task;
    if (!task?.trim()) throw new OstkError("no-task", 'the Agentfile has no TASK; pass --task "…"');
    trace = newTrace();
    snap = { task, elapsed_ms: 0, tool_errors: 0, partial: [], overhead_ms: 0 };
    await negotiate();
    const session = snap.kernel_session ?? `run-${now().toString(36)}-${randomBytes(4).toString("hex")}`;
    messages = [{ role: "user", content: task }];
    row = {
      session,
      name: o.name,
      agentfile_path: af.path ?? null,
      agentfile_sha256: af.sha256,
      provider: o.provider.provider,
      model: o.provider.model,
      status: "running",
      stop_reason: null,
      trace_id: trace.traceId,
      pid: process.pid,
      started_at: now(),
      updated_at: now(),
      turns: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: 0,
      tool_calls: 0,
      snapshot: JSON.stringify(snap),
      summary: null,
    };
  }
  const session = row.session;
  const sub = (): RunCaller => ({
    identity: {
      id: `agent:${o.name}`,
      kind: "agent",
      name: o.name,
      ...(snap.kernel_session ? { session: snap.kernel_session } : {}),
    },
    trace: childSpan(trace),
  });
  const kernel: KernelPort = {
    // A daemon restart may forget the session: negotiate a new one and retry once.
    async call(method, params, caller, signal) {
      try {
        return await o.kernel.call(method, params, caller, signal);
      } catch (err) {
        if (!isRpcError(err, "SessionUnknown")) throw err;
        await negotiate();
        return o.kernel.call(method, params, sub(), signal);
      }
    },
  };

  // The kernel hashes and journals the Agentfile before anything runs.
  if (!resumed) {
    await spawn();
    o.store.create(row);
  }

  /** The kernel hashes the Agentfile and journals it; without that nothing runs (fail closed). */
  async function spawn(): Promise<void> {
    try {
      await kernel.call(
        "agent/spawn",
        {
          sha256: af.sha256,
          path: af.path ?? "",
          name: o.name,
          model: `${o.provider.provider}/${o.provider.model}`,
          tools: af.tools.map((t) => t.pattern),
          limits: af.limits,
          isolation: af.isolation,
          ...(af.pin ? { pin: af.pin } : {}),
        },
        sub(),
      );
    } catch (err) {
      if (isRpcError(err, "MethodNotFound"))
        throw new OstkError(
          "kernel-without-agents",
          "this kernel does not serve agent/spawn, so the Agentfile's hash could not be journaled; nothing ran. Restart the daemon with a current ostk (ostk daemon stop; ostk daemon --detach)",
        );
      throw err;
    }
  }
  let usage = usageOf(row);
  let cost = row.cost_usd;
  let turns = row.turns;
  let toolCalls = row.tool_calls;
  const segmentStart = now();
  const elapsedBefore = snap.elapsed_ms;
  const elapsed = () => elapsedBefore + (now() - segmentStart);
  let saved = resumed ? messages.length : 0;
  const abort = new AbortController();
  const onKill = () => abort.abort(new OstkError("killed", "the run was killed"));
  o.signal?.addEventListener("abort", onKill, { once: true });
  const deadline =
    af.limits.wall_clock_ms !== undefined ? af.limits.wall_clock_ms - snap.elapsed_ms : undefined;
  const timer =
    deadline !== undefined
      ? setTimeout(() => abort.abort(new OstkError("wall-clock", "wall clock limit")), Math.max(0, deadline))
      : undefined;
  // `ostk kill` from another process sets a flag in sessions.db; look at it twice a second.
  const killWatch = setInterval(() => {
    try {
      if (o.store.get(session)?.stop_reason === "kill-requested") onKill();
    } catch {
      // the database is busy or closed: try again next tick
    }
  }, o.killPollMs ?? 500);
  killWatch.unref();
  const emit = (e: RunEvent) => o.onEvent?.(e);
  emit({ type: "start", session, trace_id: trace.traceId, resumed });
  if (resumed) {
    o.store.update(session, { status: "running", pid: process.pid, stop_reason: null }, now());
    await journalEvent(
      kernel,
      o,
      "agent.resume",
      { turns, pending_approval: snap.pending_approval?.approval_id ?? null },
      sub(),
    );
  }

  const persist = (status: RunStatus, extra: Partial<AgentRunRow> = {}) => {
    snap.elapsed_ms = elapsed();
    o.store.saveTurn(
      session,
      messages,
      saved,
      {
        status,
        turns,
        tool_calls: toolCalls,
        cost_usd: cost,
        ...usage,
        snapshot: JSON.stringify(snap),
        ...extra,
      },
      now(),
    );
    saved = messages.length;
  };

  let status: RunStatus = "running";
  let reason = "done";
  let turnStart: number | undefined;
  let turnExternalMs = 0;
  const closeTurn = () => {
    if (turnStart !== undefined)
      snap.overhead_ms += Math.max(0, performance.now() - turnStart - turnExternalMs);
    turnStart = undefined;
    turnExternalMs = 0;
  };
  let detail: string | undefined;
  let booted = resumed || af.boot.length === 0;
  try {
    for (;;) {
      if (!booted) {
        booted = true;
        const failed = await runBoot();
        if (failed) {
          ({ status, reason, detail } = { status: "failed", reason: "boot-failed", detail: failed });
          break;
        }
      }
      // Finish a batch of tool calls left open by an approval wait or a crash.
      const last = messages[messages.length - 1];
      if (last?.role === "assistant" && last.tool_calls.length) {
        const outcome = await runBatch(last.tool_calls);
        if (outcome === "stop") break;
        messages.push({ role: "tool", results: snap.partial });
        snap.partial = [];
        turns++;
        persist("running");
        await journalEvent(
          kernel,
          o,
          "agent.turn",
          turnRecord(turns, last, messages[messages.length - 1]),
          sub(),
        );
        closeTurn();
        continue;
      }
      if (last?.role === "assistant") {
        snap.final_text = last.text;
        status = "finished";
        break;
      }
      const hit = limitReached(af.limits, { turns, usage, cost_usd: cost, elapsed_ms: elapsed() });
      if (hit) {
        ({ status, reason, detail } = stopAt(hit.limit, hit.detail));
        break;
      }
      const t0 = performance.now();
      turnStart = t0;
      const callSignal = scopedSignal(abort.signal);
      const res = await o.provider
        .complete({
          system: [af.prompt, SYSTEM_FOOTER].filter(Boolean).join("\n\n"),
          messages,
          tools: offered.map((t) => t.spec),
          max_tokens: o.maxTokensPerTurn ?? 4096,
          traceparent: formatTp(sub().trace),
          session,
          signal: callSignal.signal,
        })
        .finally(callSignal.release);
      const modelMs = performance.now() - t0;
      turnExternalMs += modelMs;
      usage = addUsage(usage, res.usage);
      cost += costOf(o.provider.provider, res.model || o.provider.model, res.usage, o.prices) ?? 0;
      emit({
        type: "model",
        turn: turns + 1,
        text: res.text,
        tool_calls: res.tool_calls.length,
        usage: res.usage,
        ms: modelMs,
      });
      messages.push({ role: "assistant", text: res.text, tool_calls: res.tool_calls });
      if (res.tool_calls.length === 0) {
        turns++;
        snap.final_text = res.text;
        persist("running");
        await journalEvent(kernel, o, "agent.turn", turnRecord(turns, messages[messages.length - 1]), sub());
        closeTurn();
        status = "finished";
        break;
      }
      persist("running");
    }
  } catch (err) {
    if (abort.signal.aborted) {
      const why = abort.signal.reason instanceof OstkError ? abort.signal.reason.code : "killed";
      if (why === "wall-clock")
        ({ status, reason, detail } = stopAt(
          "wall_clock",
          `wall clock limit of ${Math.round((af.limits.wall_clock_ms ?? 0) / 1000)} s reached`,
        ));
      else
        ({ status, reason, detail } = {
          status: "killed",
          reason: "killed",
          detail: "stopped by ostk kill or a signal",
        });
    } else {
      status = "failed";
      reason = isRpcError(err) ? `kernel-error` : "model-error";
      detail = (err as Error).message;
      o.logger?.warn?.({ err, session }, "agent run failed");
    }
  } finally {
    if (timer) clearTimeout(timer);
    clearInterval(killWatch);
    o.signal?.removeEventListener("abort", onKill);
  }
  // A cut batch leaves an assistant message whose calls have no results; keep it for --resume only while waiting.
  if (status !== "waiting-approval") snap.pending_approval = undefined;
  const summary: RunSummary = {
    session,
    name: o.name,
    status,
    reason,
    detail,
    turns,
    tool_calls: toolCalls,
    tool_errors: snap.tool_errors,
    usage,
    cost_usd: cost,
    elapsed_ms: elapsed(),
    trace_id: trace.traceId,
    agentfile_sha256: af.sha256,
    model: `${o.provider.provider}/${o.provider.model}`,
    final_text: snap.final_text ?? "",
    overhead_ms_per_turn: turns ? snap.overhead_ms / turns : 0,
  };
  persist(status, { stop_reason: reason, pid: null, summary: JSON.stringify(summary) });
  await journalEvent(
    kernel,
    o,
    status === "waiting-approval" ? "agent.approval" : "agent.end",
    {
      status,
      reason,
      ...(detail ? { detail } : {}),
      turns,
      tool_calls: toolCalls,
      tool_errors: snap.tool_errors,
      usage,
      cost_usd: Number(cost.toFixed(6)),
      elapsed_ms: Math.round(summary.elapsed_ms),
    },
    sub(),
  ).catch(() => {});
  emit({ type: "end", summary });
  return summary;

  function stopAt(limit: LimitName, d: string): { status: RunStatus; reason: string; detail: string } {
    return { status: "stopped", reason: `limit:${limit}`, detail: d };
  }

  /**
   * The kernel holds a call that needs a human until it is decided. While a call is in flight,
   * look for a pending approval of this session, and show the run as waiting for it.
   */
  function watchPendingApproval(callId: string): { stop: () => void } {
    let stopped = false;
    let shown: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      if (stopped || !snap.kernel_session) return;
      try {
        const cs = scopedSignal(abort.signal);
        const r = (await o.kernel.call("approvals/list", {}, sub(), cs.signal).finally(cs.release)) as {
          approvals?: Record<string, unknown>[];
        };
        const mine = (r.approvals ?? []).find(
          (a) => a.session === snap.kernel_session && decisionOf(a) === "pending",
        );
        if (!stopped && mine && mine.id !== shown) {
          shown = String(mine.id);
          snap.pending_approval = { approval_id: shown, call_id: callId };
          persist("waiting-approval");
          emit({
            type: "approval",
            approval_id: shown,
            message: String(mine.summary ?? mine.reason ?? "needs approval"),
          });
        }
      } catch {
        // no approvals method or the daemon is away: nothing to show
      }
      if (!stopped) timer = setTimeout(tick, 400);
    };
    timer = setTimeout(tick, 250);
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        if (shown) {
          snap.pending_approval = undefined;
          emit({ type: "approval", approval_id: shown, message: "decided" });
        }
      },
    };
  }

  /** An ApprovalDenied that no human gave: the daemon cancelled the wait because it was shutting down. */
  async function cancelledByShutdown(out: {
    error?: string;
    data?: Record<string, unknown>;
  }): Promise<boolean> {
    const id = out.error === "ApprovalDenied" ? (out.data?.approvalId ?? out.data?.approval_id) : undefined;
    if (typeof id !== "string") return false;
    try {
      await waitForKernel();
      const r = (await o.kernel.call("approvals/list", { all: true }, sub())) as {
        approvals?: Record<string, unknown>[];
      };
      const row = (r.approvals ?? []).find((a) => a.id === id);
      return row?.channel === "cancel";
    } catch {
      return false;
    }
  }

  /**
   * BOOT commands run once, before the first model call, through the same `exec` syscall as the
   * model's bash calls (pin, risk gate, approvals, sandbox, journal). The first failure stops the run.
   */
  async function runBoot(): Promise<string | undefined> {
    for (const command of af.boot) {
      const cs = scopedSignal(abort.signal);
      try {
        const r = (await kernel.call("exec", { command }, sub(), cs.signal)) as Record<string, unknown>;
        const code = r.exitCode ?? r.exit_code;
        if (code !== 0)
          return `BOOT ${command} exited with ${code ?? `signal ${r.signal}`}: ${String(r.stderr ?? "").slice(-500)}`;
      } catch (err) {
        if (abort.signal.aborted) throw err;
        return `BOOT ${command} was refused: ${(err as Error).message}`;
      } finally {
        cs.release();
      }
    }
    return undefined;
  }

  /** Polls `kernel/status` until the daemon answers again (bounded by the run's wall clock and kill). */
  async function waitForKernel(): Promise<void> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        const cs = scopedSignal(abort.signal);
        await o.kernel.call("kernel/status", {}, sub(), cs.signal).finally(cs.release);
        return;
      } catch (err) {
        if (abort.signal.aborted) throw err;
      }
      await sleepAbortable(delay, abort.signal);
    }
  }

  /** Executes the calls of one assistant message that have no result yet. */
  async function runBatch(calls: ToolCall[]): Promise<"ok" | "stop"> {
    for (const call of calls) {
      if (snap.partial.some((r) => r.id === call.id)) continue;
      const pending = snap.pending_approval?.call_id === call.id ? snap.pending_approval : undefined;
      if (pending) {
        emit({ type: "approval", approval_id: pending.approval_id, message: "waiting for approval" });
        const decision = await approvals.wait(pending.approval_id, sub(), abort.signal);
        emit({ type: "approval", approval_id: pending.approval_id, message: "decided", outcome: decision });
        snap.pending_approval = undefined;
        if (decision !== "approved") {
          snap.partial.push({
            id: call.id,
            name: call.name,
            is_error: true,
            content: `error (ApprovalDenied): the call was ${decision} by the approver; it did not run`,
          });
          snap.tool_errors++;
          toolCalls++;
          persist("running");
          continue;
        }
      }
      const t0 = performance.now();
      const exec = () => {
        const cs = scopedSignal(abort.signal);
        return executeToolCall(call, {
          grants: af.tools,
          offered: offeredNames,
          kernel,
          caller: sub(),
          signal: cs.signal,
        }).finally(cs.release);
      };
      const watch = watchPendingApproval(call.id);
      let out = await exec().finally(watch.stop);
      if (out.kind === "result" && (out.error === "Unavailable" || (await cancelledByShutdown(out)))) {
        // The daemon went away mid-call (a restart). Wait for it, then issue the call once more:
        // an approval it was waiting for is still in sessions.db, bound to this exact call.
        await waitForKernel();
        out = await exec();
      }
      if (out.kind === "approval") {
        snap.pending_approval = { approval_id: out.approval_id, call_id: call.id };
        persist("waiting-approval");
        emit({ type: "approval", approval_id: out.approval_id, message: out.message });
        if (!approvals.canWait) {
          status = "waiting-approval";
          reason = "approval-pending";
          detail = `${out.message} — approve with "ostk approve ${out.approval_id}", then "ostk run --resume ${session}"`;
          return "stop";
        }
        // Wait now, in this process.
        const again = await runBatch([call]);
        if (again === "stop") return "stop";
        continue;
      }
      toolCalls++;
      if (out.result.is_error) snap.tool_errors++;
      const toolMs = performance.now() - t0;
      turnExternalMs += toolMs;
      emit({
        type: "tool",
        turn: turns + 1,
        name: call.name,
        is_error: out.result.is_error,
        error: out.error,
        ms: toolMs,
      });
      snap.partial.push(out.result);
      persist("running");
    }
    return "ok";
  }
}

/**
 * A per-call signal that follows the run's signal. The SDKs and the RPC client attach a listener to
 * the signal they are given; a child per call keeps a long run from piling listeners on one signal.
 */
function scopedSignal(parent: AbortSignal): { signal: AbortSignal; release: () => void } {
  const c = new AbortController();
  const on = () => c.abort(parent.reason);
  if (parent.aborted) on();
  else parent.addEventListener("abort", on, { once: true });
  return { signal: c.signal, release: () => parent.removeEventListener("abort", on) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function formatTp(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.sampled ? "01" : "00"}`;
}

function turnRecord(turn: number, assistant: ChatMessage, tool?: ChatMessage): Record<string, unknown> {
  const a = assistant as ChatMessage & { role: "assistant" };
  const results = tool?.role === "tool" ? tool.results : [];
  return {
    turn,
    tool_calls: a.tool_calls.map((c) => {
      const r = results.find((x) => x.id === c.id);
      return {
        id: c.id,
        name: c.name,
        ok: r ? !r.is_error : null,
        ...(r?.is_error ? { error: r.content.slice(0, 200) } : {}),
      };
    }),
    text_chars: a.text.length,
  };
}

async function journalEvent(
  kernel: KernelPort,
  o: AgentRunOptions,
  event: string,
  data: Record<string, unknown>,
  caller: RunCaller,
): Promise<void> {
  try {
    await kernel.call("agent/event", { event, data }, caller);
  } catch (err) {
    o.logger?.warn?.({ err, event }, "agent run: could not journal the event");
  }
}
