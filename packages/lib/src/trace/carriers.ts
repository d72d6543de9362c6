import {
  childSpan,
  currentTrace,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  type TraceContext,
} from "./trace-context.js";

type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/** Headers to send on an outgoing HTTP request: a child span of `ctx` (default: the current trace, or a new one). */
export function traceHeaders(ctx: TraceContext | undefined = currentTrace()): { traceparent: string } {
  return { traceparent: formatTraceparent(ctx ? childSpan(ctx) : newTrace()) };
}

/** The trace carried by incoming HTTP headers (Node's IncomingHttpHeaders, a plain object or fetch Headers). */
export function traceFromHeaders(headers: HeaderBag | undefined | null): TraceContext | null {
  if (!headers) return null;
  let value: string | string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === "function")
    value = (headers as { get(n: string): string | null }).get("traceparent");
  else {
    const bag = headers as Record<string, string | string[] | undefined>;
    value = bag.traceparent ?? Object.entries(bag).find(([k]) => k.toLowerCase() === "traceparent")?.[1];
  }
  return parseTraceparent(Array.isArray(value) ? value[0] : value);
}

/** MCP `_meta` with the trace added (`traceparent`, as the MCP spec's OpenTelemetry convention does). */
export function withMcpTrace<M extends Record<string, unknown>>(
  meta: M | undefined,
  ctx: TraceContext | undefined = currentTrace(),
): M & { traceparent: string } {
  return { ...(meta ?? ({} as M)), traceparent: formatTraceparent(ctx ? childSpan(ctx) : newTrace()) };
}

/** The trace carried in an MCP request's `_meta`, if any. */
export function traceFromMcpMeta(meta: Record<string, unknown> | undefined | null): TraceContext | null {
  const v = meta?.traceparent;
  return typeof v === "string" ? parseTraceparent(v) : null;
}
