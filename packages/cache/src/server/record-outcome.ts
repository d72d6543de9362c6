import { performance } from "node:perf_hooks";
import { costOf } from "@ostk/lib";
import type { LedgerRow } from "../ledger/ledger";
import { traceIdFor } from "../lib-seam";
import { keyId } from "../response-cache/sealed";
import type { Base, Outcome } from "./forward";
import { recordRow } from "./proxy-state";
import { tokenCounts } from "./usage";

/** Turns a request's outcome into its ledger row (tokens, cost, uncached cost, tiers) and records it. */
export function finish(b: Base, o: Outcome, bytesForwarded = 0): void {
  const { state, report, route } = b;
  const model = typeof b.body.model === "string" ? b.body.model : null;
  const hit = o.responseCache === "hit" || o.responseCache === "coalesced";
  const t =
    o.body && !hit
      ? tokenCounts(route, o.body)
      : { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 };
  const cost = model ? costOf(b.provider, model, t) : undefined;
  const hitCost = hit && o.body && model ? costOf(b.provider, model, tokenCounts(route, o.body)) : undefined;
  const row: LedgerRow = {
    ts: new Date().toISOString(),
    trace_id: traceIdFor(b.traceparent),
    session: b.session,
    workspace_id: state.workspaceId,
    key_id: b.apiKey ? keyId(state.secret, b.apiKey) : null,
    provider: b.provider,
    route,
    model,
    mode: b.mode,
    stream: o.stream,
    status: o.status,
    error_type: o.errorType ?? null,
    req_bytes_in: b.bytesIn,
    req_bytes_out: bytesForwarded,
    input_tokens: t.input,
    cache_read_tokens: t.cacheRead,
    cache_write_5m_tokens: t.cacheWrite5m,
    cache_write_1h_tokens: t.cacheWrite1h,
    output_tokens: t.output,
    cost_usd: cost ? cost.cost : hit ? 0 : null,
    uncached_cost_usd: cost ? cost.uncached : hitCost ? hitCost.uncached : null,
    saving_usd: cost ? cost.uncached - cost.cost : hitCost ? hitCost.uncached : null,
    response_cache: o.responseCache,
    breakpoints: report.breakpoints,
    stripped: report.stripped,
    tiers: {
      A: report.softCap?.A ?? 0,
      B: report.softCap?.B ?? 0,
      C: report.softCap?.C ?? 0,
      D: o.tierD ? 1 : 0,
    },
    rebuild: report.rebuild
      ? {
          replaced: report.rebuild.replacedMessages,
          repaired: report.rebuild.repairedResults,
          source: report.rebuild.source,
        }
      : undefined,
    enrich: o.enrich ?? null,
    latency_ms: Math.round((performance.now() - b.t0) * 1000) / 1000,
    ttfb_ms: o.ttfb === null ? null : Math.round(o.ttfb * 1000) / 1000,
  };
  recordRow(state, row);
}
