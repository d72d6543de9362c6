import type { CallerIdentity, RequestMeta } from "../protocol/generated/types.js";
import {
  childSpan,
  currentTrace,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  type TraceContext,
} from "../trace/trace-context.js";

export type { CallerIdentity, RequestMeta };

/** Params with `_meta` (identity + traceparent) attached; the trace is a child of the current one. */
export function attachMeta(
  params: Record<string, unknown> | undefined,
  identity: CallerIdentity | undefined,
  trace: TraceContext | undefined = currentTrace(),
): Record<string, unknown> {
  const meta: RequestMeta = { ...((params?._meta as RequestMeta | undefined) ?? {}) };
  if (identity && !meta.identity) meta.identity = identity;
  if (!meta.traceparent) meta.traceparent = formatTraceparent(trace ? childSpan(trace) : newTrace());
  return { ...(params ?? {}), _meta: meta };
}

/** Splits `_meta` off the params a handler sees. */
export function splitMeta(params: unknown): { params: Record<string, unknown>; meta: RequestMeta } {
  if (!params || typeof params !== "object" || Array.isArray(params)) return { params: {}, meta: {} };
  const { _meta, ...rest } = params as Record<string, unknown>;
  const meta = _meta && typeof _meta === "object" && !Array.isArray(_meta) ? (_meta as RequestMeta) : {};
  return { params: rest, meta };
}

/** The trace of an inbound request: its traceparent, or a fresh root when it carried none. */
export function traceOf(meta: RequestMeta): TraceContext {
  return parseTraceparent(meta.traceparent) ?? newTrace();
}
