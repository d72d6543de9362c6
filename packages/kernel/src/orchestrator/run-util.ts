import type { TraceContext } from "@ostk/lib";
import type { KernelPort, RunCaller } from "./kernel-port.js";
import type { ChatMessage } from "./model-types.js";
import type { AgentRunOptions } from "./run-types.js";

/**
 * A per-call signal that follows the run's signal. The SDKs and the RPC client attach a listener to
 * the signal they are given; a child per call keeps a long run from piling listeners on one signal.
 */
export function scopedSignal(parent: AbortSignal): { signal: AbortSignal; release: () => void } {
  const c = new AbortController();
  const on = () => c.abort(parent.reason);
  if (parent.aborted) on();
  else parent.addEventListener("abort", on, { once: true });
  return { signal: c.signal, release: () => parent.removeEventListener("abort", on) };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
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

export function formatTp(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.sampled ? "01" : "00"}`;
}

export function turnRecord(
  turn: number,
  assistant: ChatMessage,
  tool?: ChatMessage,
): Record<string, unknown> {
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

export async function journalEvent(
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
