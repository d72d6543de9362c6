import { decisionOf } from "./approval-wait.js";
import type { KernelPort, RunCaller } from "./kernel-port.js";
import { scopedSignal, sleepAbortable } from "./run-util.js";

/** What the run's kernel-side helpers need: the session-aware port, the raw port, the caller, the run's signal. */
export interface OpsContext {
  /** Retries once with a fresh session when the kernel forgot it. */
  kernel: KernelPort;
  /** The port as given (no session retry). */
  raw: KernelPort;
  caller: () => RunCaller;
  signal: AbortSignal;
}

/** Polls `kernel/status` until the daemon answers again (bounded by the run's wall clock and kill). */
export async function waitForKernel(c: OpsContext): Promise<void> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const cs = scopedSignal(c.signal);
    try {
      await c.raw.call("kernel/status", {}, c.caller(), cs.signal);
      return;
    } catch (err) {
      if (c.signal.aborted) throw err;
    } finally {
      cs.release();
    }
    await sleepAbortable(delay, c.signal);
  }
}

/** An ApprovalDenied that no human gave: the daemon cancelled the wait because it was shutting down. */
export async function cancelledByShutdown(
  c: OpsContext,
  out: { error?: string; data?: Record<string, unknown> },
): Promise<boolean> {
  const id = out.error === "ApprovalDenied" ? (out.data?.approvalId ?? out.data?.approval_id) : undefined;
  if (typeof id !== "string") return false;
  try {
    await waitForKernel(c);
    const r = (await c.raw.call("approvals/list", { all: true }, c.caller())) as {
      approvals?: Record<string, unknown>[];
    };
    return (r.approvals ?? []).find((a) => a.id === id)?.channel === "cancel";
  } catch {
    return false;
  }
}

/**
 * BOOT commands run once, before the first model call, through the same `exec` syscall as the
 * model's bash calls (pin, risk gate, approvals, sandbox, journal). The first failure stops the run.
 */
export async function runBoot(c: OpsContext, commands: string[]): Promise<string | undefined> {
  for (const command of commands) {
    const cs = scopedSignal(c.signal);
    try {
      const r = (await c.kernel.call("exec", { command }, c.caller(), cs.signal)) as Record<string, unknown>;
      const code = r.exitCode ?? r.exit_code;
      if (code !== 0)
        return `BOOT ${command} exited with ${code ?? `signal ${r.signal}`}: ${String(r.stderr ?? "").slice(-500)}`;
    } catch (err) {
      if (c.signal.aborted) throw err;
      return `BOOT ${command} was refused: ${(err as Error).message}`;
    } finally {
      cs.release();
    }
  }
  return undefined;
}

/**
 * The kernel holds a call that needs a human until it is decided. While a call is in flight, look
 * for a pending approval of this session (`pending`), and report when it is gone (`settled`).
 */
export function watchPendingApproval(
  c: OpsContext,
  session: () => string | undefined,
  on: { pending(id: string, message: string): void; settled(id: string): void },
): { stop: () => void } {
  let stopped = false;
  let shown: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const mySession = session();
    if (stopped || !mySession) return;
    const cs = scopedSignal(c.signal);
    try {
      const r = (await c.raw.call("approvals/list", {}, c.caller(), cs.signal)) as {
        approvals?: Record<string, unknown>[];
      };
      const mine = (r.approvals ?? []).find((a) => a.session === mySession && decisionOf(a) === "pending");
      if (!stopped && mine && mine.id !== shown) {
        shown = String(mine.id);
        on.pending(shown, String(mine.summary ?? mine.reason ?? "needs approval"));
      }
    } catch {
      // no approvals method or the daemon is away: nothing to show
    } finally {
      cs.release();
    }
    if (!stopped) timer = setTimeout(tick, 400);
  };
  timer = setTimeout(tick, 250);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (shown) on.settled(shown);
    },
  };
}
