import { describe, expect, it } from "vitest";
import { traceFromHeaders, traceFromMcpMeta, traceHeaders, withMcpTrace } from "./carriers.js";
import {
  childSpan,
  currentTrace,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  withTrace,
} from "./trace-context.js";

describe("trace context", () => {
  it("round-trips W3C traceparent and rejects invalid headers", () => {
    const t = newTrace();
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(t.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parseTraceparent(formatTraceparent(t))).toEqual(t);
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
    });
    for (const bad of [
      "",
      "garbage",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    ])
      expect(parseTraceparent(bad)).toBeNull();
    expect(parseTraceparent(undefined)).toBeNull();
  });

  it("never hands out the same id twice, across many refills of its random pool", () => {
    const traces = Array.from({ length: 5000 }, () => newTrace());
    const spans = traces.flatMap((t) => [t.spanId, childSpan(t).spanId]);
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(traces.length);
    expect(new Set(spans).size).toBe(spans.length);
    for (const t of traces) expect(formatTraceparent(t)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("propagates across awaits with AsyncLocalStorage", async () => {
    const t = newTrace();
    expect(currentTrace()).toBeUndefined();
    const seen = await withTrace(t, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return currentTrace();
    });
    expect(seen).toEqual(t);
    expect(currentTrace()).toBeUndefined();
  });

  it("carries the trace in HTTP headers and MCP _meta as a child span", () => {
    const t = newTrace(false);
    const h = withTrace(t, () => traceHeaders());
    const back = traceFromHeaders({ TraceParent: h.traceparent });
    expect(back?.traceId).toBe(t.traceId);
    expect(back?.spanId).not.toBe(t.spanId);
    expect(back?.sampled).toBe(false);
    expect(traceFromHeaders(new Headers(h))?.traceId).toBe(t.traceId);
    const meta = withMcpTrace({ progressToken: 1 }, childSpan(t));
    expect(meta.progressToken).toBe(1);
    expect(traceFromMcpMeta(meta)?.traceId).toBe(t.traceId);
    expect(traceFromMcpMeta({})).toBeNull();
  });
});
