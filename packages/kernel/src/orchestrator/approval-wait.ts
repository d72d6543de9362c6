import { isRpcError } from "@ostk/lib";
import type { KernelPort, RunCaller } from "./kernel-port.js";

export type ApprovalDecision = "approved" | "denied" | "expired";

export interface ApprovalWaiter {
  /** False: the run stops as `waiting-approval` and is continued later with `--resume`. */
  canWait: boolean;
  wait(id: string, caller: RunCaller, signal: AbortSignal): Promise<ApprovalDecision>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** The decision recorded on an approval row, whatever the store calls the field. */
export function decisionOf(row: Record<string, unknown>): ApprovalDecision | "pending" {
  const v = String(row.status ?? row.state ?? row.decision ?? "pending");
  if (v === "approved" || v === "allow" || v === "allowed") return "approved";
  if (v === "denied" || v === "deny") return "denied";
  if (v === "expired" || v === "timeout") return "expired";
  return "pending";
}

/**
 * Polls the kernel's approval store (`approvals/list`) until the request is
 * decided. A daemon restart in between is survived: pending requests live in
 * sessions.db, and Unavailable errors while the daemon is away are retried.
 */
export function approvalWaiter(
  kernel: KernelPort,
  opts: { intervalMs?: number; canWait?: boolean } = {},
): ApprovalWaiter {
  return {
    canWait: opts.canWait ?? true,
    async wait(id, caller, signal) {
      for (;;) {
        try {
          const r = (await kernel.call("approvals/list", { all: true }, caller, signal)) as {
            approvals?: Record<string, unknown>[];
          };
          const row = (r?.approvals ?? []).find((a) => a.id === id);
          if (!row) return "expired";
          const d = decisionOf(row);
          if (d !== "pending") return d;
        } catch (err) {
          if (signal.aborted) throw err;
          if (!isRpcError(err, "Unavailable") && !isRpcError(err, "ShuttingDown")) throw err;
        }
        await sleep(opts.intervalMs ?? 200, signal);
      }
    },
  };
}
