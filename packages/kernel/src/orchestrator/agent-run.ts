import { randomBytes } from "node:crypto";
import {
  childSpan,
  costOf,
  isRpcError,
  newTrace,
  OstkError,
  type PriceTable,
  type TraceContext,
} from "@ostk/lib";
import { loadPin } from "../policy/pin-select.js";
import { approvalWaiter } from "./approval-wait.js";
import {
  cancelledByShutdown,
  type OpsContext,
  runBoot,
  waitForKernel,
  watchPendingApproval,
} from "./kernel-ops.js";
import type { KernelPort, RunCaller } from "./kernel-port.js";
import { type LimitName, limitReached, maxTokensFor } from "./limits.js";
import { addUsage, type ChatMessage, type ToolCall, type Usage } from "./model-types.js";
import { type AgentRunRow, type RunStatus, usageOf } from "./run-store.js";
import type { AgentRunOptions, RunEvent, RunSummary, Snapshot } from "./run-types.js";
import { formatTp, journalEvent, pidAlive, scopedSignal, turnRecord } from "./run-util.js";
import { scopeFor } from "./scope.js";
import { executeToolCall } from "./tool-executor.js";
import { grantedTools } from "./tool-gate.js";

export type { AgentRunOptions, RunEvent, RunSummary } from "./run-types.js";

const SYSTEM_FOOTER =
  "You act only through the tools you are given; the ostk kernel executes them under policy and may refuse a call. A refused or failed call comes back as a tool error: read it and adapt. When the task is done, answer with a short summary and no tool call.";

/** Runs (or resumes) one agent to completion, a limit, a kill, or an approval it cannot wait for. */
export async function runAgent(o: AgentRunOptions): Promise<RunSummary> {
  const now = o.now ?? Date.now;
  const af = o.agentfile;
  const offered = grantedTools(af.tools);
  const offeredNames = offered.map((t) => t.spec.name);
  const approvals = o.approvals ?? approvalWaiter(o.kernel);
  // The Agentfile's PIN, enforced by the runner on top of the kernel's pin (attenuation only).
  if (af.pin && !o.workspace)
    throw new OstkError(
      "pin-unenforceable",
      `the Agentfile names PIN ${af.pin} but the runner was not told the workspace to load it from; nothing ran`,
    );
  const pin = af.pin && o.workspace ? loadPin(o.workspace, af.pin) : undefined;

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
  const ops: OpsContext = { kernel, raw: o.kernel, caller: sub, signal: abort.signal };
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
        const failed = await runBoot(ops, af.boot);
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
          max_tokens: maxTokensFor(af.limits.tokens, usage, o.maxTokensPerTurn ?? 4096),
          traceparent: formatTp(sub().trace),
          session,
          signal: callSignal.signal,
        })
        .finally(callSignal.release);
      const modelMs = performance.now() - t0;
      turnExternalMs += modelMs;
      usage = addUsage(usage, res.usage);
      cost += callCost(o.provider.provider, res.model || o.provider.model, res.usage, o.prices);
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
          pin,
        }).finally(cs.release);
      };
      const watch = watchPendingApproval(ops, () => snap.kernel_session, {
        pending(id, message) {
          snap.pending_approval = { approval_id: id, call_id: call.id };
          persist("waiting-approval");
          emit({ type: "approval", approval_id: id, message });
        },
        settled(id) {
          snap.pending_approval = undefined;
          emit({ type: "approval", approval_id: id, message: "decided" });
        },
      });
      let out = await exec().finally(watch.stop);
      if (out.kind === "result" && (out.error === "Unavailable" || (await cancelledByShutdown(ops, out)))) {
        // The daemon went away mid-call (a restart). Wait for it, then issue the call once more:
        // an approval it was waiting for is still in sessions.db, bound to this exact call.
        await waitForKernel(ops);
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

/** USD of one model call from its usage, by @ostk/lib's price table (the one the cache's ledger uses); 0 when unpriced. */
function callCost(provider: string, model: string, u: Usage, prices?: PriceTable): number {
  const c = costOf(
    provider,
    model,
    {
      input: u.input_tokens,
      cacheRead: u.cache_read_tokens,
      cacheWrite5m: u.cache_write_tokens,
      cacheWrite1h: 0,
      output: u.output_tokens,
    },
    prices,
  );
  return c?.cost ?? 0;
}
