import { existsSync, readFileSync } from "node:fs";
import type { LedgerRow } from "./ledger";

export interface LedgerSummary {
  window: string;
  requests: number;
  errors: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  /** Share of prompt tokens served from the provider's prompt cache. */
  prompt_cache_hit_rate: number;
  response_cache_hits: number;
  response_cache_hit_rate: number;
  cost_usd: number;
  uncached_cost_usd: number;
  net_saving_usd: number;
  by_model: Record<string, { requests: number; cost_usd: number; uncached_cost_usd: number }>;
}

/** "30m", "24h", "7d", "all" → milliseconds (Infinity for all). */
export function parseWindow(w: string): number {
  if (w === "all") return Number.POSITIVE_INFINITY;
  const m = /^(\d+)(s|m|h|d)$/.exec(w);
  if (!m) throw new Error(`--window: expected a duration like 30m, 24h, 7d or "all" (got ${w})`);
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as "s" | "m" | "h" | "d"];
}

export function readLedger(path: string): LedgerRow[] {
  if (!existsSync(path)) return [];
  const rows: LedgerRow[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      // A torn last line (crash mid-write) is skipped.
    }
  }
  return rows;
}

export function summarize(rows: LedgerRow[], window = "24h", now = Date.now()): LedgerSummary {
  const since = now - parseWindow(window);
  const s: LedgerSummary = {
    window,
    requests: 0,
    errors: 0,
    input_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    output_tokens: 0,
    prompt_cache_hit_rate: 0,
    response_cache_hits: 0,
    response_cache_hit_rate: 0,
    cost_usd: 0,
    uncached_cost_usd: 0,
    net_saving_usd: 0,
    by_model: {},
  };
  for (const r of rows) {
    if (Date.parse(r.ts) < since) continue;
    s.requests++;
    if (r.status >= 400) s.errors++;
    s.input_tokens += r.input_tokens;
    s.cache_read_tokens += r.cache_read_tokens;
    s.cache_write_tokens += r.cache_write_5m_tokens + r.cache_write_1h_tokens;
    s.output_tokens += r.output_tokens;
    if (r.response_cache === "hit" || r.response_cache === "coalesced") s.response_cache_hits++;
    s.cost_usd += r.cost_usd ?? 0;
    s.uncached_cost_usd += r.uncached_cost_usd ?? 0;
    const model = r.model ?? "?";
    if (!s.by_model[model]) s.by_model[model] = { requests: 0, cost_usd: 0, uncached_cost_usd: 0 };
    const m = s.by_model[model];
    m.requests++;
    m.cost_usd += r.cost_usd ?? 0;
    m.uncached_cost_usd += r.uncached_cost_usd ?? 0;
  }
  const prompt = s.input_tokens + s.cache_read_tokens + s.cache_write_tokens;
  s.prompt_cache_hit_rate = prompt ? s.cache_read_tokens / prompt : 0;
  s.response_cache_hit_rate = s.requests ? s.response_cache_hits / s.requests : 0;
  s.net_saving_usd = s.uncached_cost_usd - s.cost_usd;
  return s;
}
