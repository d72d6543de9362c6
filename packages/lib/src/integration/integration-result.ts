import { isRpcError, type OstkRpcError, toRpcError } from "../errors.js";
import type { Effect, IntegrationResult, RpcErrorObject } from "../protocol/generated/types.js";
import { currentTrace, newTrace, withTrace } from "../trace/trace-context.js";

export type { Effect, IntegrationResult };

export type IntegrationStatus = IntegrationResult["status"];

/** What a step gets: a place to record its effects and count its calls. */
export interface StepContext {
  /** Records a side effect (a write, a message sent…) for the result's `effects`. */
  effect(effect: Effect): void;
  /** Counts one call for `metrics.calls`. */
  count(n?: number): void;
  /** Adds a named numeric metric. */
  metric(name: string, value: number): void;
}

function statusOf(err: OstkRpcError): IntegrationStatus {
  if (isRpcError(err, "PolicyDenied") || isRpcError(err, "ApprovalDenied")) return "denied";
  if (isRpcError(err, "Timeout")) return "timeout";
  if (isRpcError(err, "Cancelled")) return "cancelled";
  return "error";
}

/**
 * Runs one integration step (a workflow script, a bot command) in a trace and
 * turns whatever happens into an `IntegrationResult`: `ok` + `result`, or a
 * status (denied/timeout/cancelled/error) with the protocol error; always with
 * `effects` and `metrics.duration_ms`. Never throws.
 */
export async function runStep<T>(fn: (ctx: StepContext) => Promise<T>): Promise<IntegrationResult> {
  const started = (globalThis.performance ?? Date).now();
  const effects: Effect[] = [];
  const metrics: Record<string, number> = { calls: 0 };
  const ctx: StepContext = {
    effect: (e) => {
      effects.push(e);
    },
    count: (n = 1) => {
      metrics.calls += n;
    },
    metric: (name, value) => {
      metrics[name] = value;
    },
  };
  const finish = (r: Omit<IntegrationResult, "effects" | "metrics">): IntegrationResult => ({
    ...r,
    effects,
    metrics: {
      ...metrics,
      duration_ms: Math.round(((globalThis.performance ?? Date).now() - started) * 1000) / 1000,
    },
  });
  try {
    const result = await withTrace(currentTrace() ?? newTrace(), () => fn(ctx));
    return finish({ ok: true, status: "ok", result });
  } catch (err) {
    const e = toRpcError(err);
    const error = e.toJSON() as RpcErrorObject;
    return finish({ ok: false, status: statusOf(e), error });
  }
}
