import type { CacheConfig } from "../config";
import type { Ledger, LedgerRow } from "../ledger/ledger";
import type { ResponseCache } from "../response-cache/response-cache";
import type { Json } from "../wire/anthropic";

/** The logger shape the proxy uses (pino's); absent means silent. */
export interface LoggerLike {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Counters {
  requests: number;
  errors: number;
  responseCache: { hit: number; coalesced: number; miss: number; bypass: number; stored: number };
  tokens: { input: number; cacheRead: number; cacheWrite: number; output: number };
  costUsd: number;
  uncachedCostUsd: number;
  tiers: { A: number; B: number; C: number; D: number };
  invalidated: number;
}

export function newCounters(): Counters {
  return {
    requests: 0,
    errors: 0,
    responseCache: { hit: 0, coalesced: 0, miss: 0, bypass: 0, stored: 0 },
    tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
    costUsd: 0,
    uncachedCostUsd: 0,
    tiers: { A: 0, B: 0, C: 0, D: 0 },
    invalidated: 0,
  };
}

/** Everything a request handler needs, owned by one running proxy. */
export interface ProxyState {
  config: CacheConfig;
  workspace: string;
  workspaceId: string;
  promptCacheKey: string;
  secret: Buffer;
  ledger: Ledger;
  responseCache?: ResponseCache;
  logger?: LoggerLike;
  counters: Counters;
  /** Live projection for rebuild-kernel (undefined on timeout or without a kernel). */
  projection?: (body: Json) => Promise<string | undefined>;
  /** Rows are also handed here (tests, ostkd). */
  onRow?: (row: LedgerRow) => void;
}

export function recordRow(state: ProxyState, row: LedgerRow): void {
  const c = state.counters;
  c.requests++;
  if (row.status >= 400) c.errors++;
  if (row.response_cache === "stored") c.responseCache.miss++;
  c.responseCache[row.response_cache === "stored" ? "stored" : row.response_cache]++;
  c.tokens.input += row.input_tokens;
  c.tokens.cacheRead += row.cache_read_tokens;
  c.tokens.cacheWrite += row.cache_write_5m_tokens + row.cache_write_1h_tokens;
  c.tokens.output += row.output_tokens;
  c.costUsd += row.cost_usd ?? 0;
  c.uncachedCostUsd += row.uncached_cost_usd ?? 0;
  c.tiers.A += row.tiers.A;
  c.tiers.B += row.tiers.B;
  c.tiers.C += row.tiers.C;
  c.tiers.D += row.tiers.D;
  state.ledger.append(row);
  state.onRow?.(row);
}
