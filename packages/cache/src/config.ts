import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";

export type CacheMode = "passthrough" | "mutate" | "rebuild" | "rebuild-kernel";
export const MODES: readonly CacheMode[] = ["passthrough", "mutate", "rebuild", "rebuild-kernel"];

/** Every setting of the proxy. Precedence: flags > OSTK_CACHE_* env > `.ostk/config.toml` [cache] > defaults. */
export interface CacheConfig {
  host: string;
  port: number;
  /** Anthropic upstream (and the target of every passthrough route). */
  upstream: string;
  /** OpenAI upstream (defaults to `upstream` when that was set explicitly). */
  openaiUpstream: string;
  mode: CacheMode;
  bodyLimitBytes: number;
  softCapBytes: number;
  /** TTL for breakpoints the proxy places on tools/system ("1h" costs 2× to write, lives longer). */
  staticTtl: "5m" | "1h";
  /** Minimum cacheable prefix length by model (regex source → tokens); first match wins. */
  minCacheTokens: [string, number][];
  upstreamTimeoutMs: number;
  responseCache: {
    enabled: boolean;
    /** Cache every eligible-looking request, sampled or not (replay of a recorded session). */
    replay: boolean;
    driver: "sqlite" | "redis";
    redisUrl?: string;
    ttlMs: number;
    maxEntryBytes: number;
    maxTotalBytes: number;
  };
  enrich: { enabled: boolean; socketPath?: string; timeoutMs: number; tokenBudget: number; limit: number };
  filterSecrets: boolean;
  kernel: { socketPath?: string; projectionTimeoutMs: number; invalidation: boolean };
  /** Keep `<system-reminder>` blocks in the first message (session context) when stripping past turns. */
  keepFirstMessageReminders: boolean;
  /** Rebuild modes replace history only above this many messages. */
  rebuildAfterMessages: number;
}

export function defaultConfig(): CacheConfig {
  return {
    host: "127.0.0.1",
    port: 8080,
    upstream: "https://api.anthropic.com",
    openaiUpstream: "https://api.openai.com",
    mode: "mutate",
    bodyLimitBytes: 32 * 1024 * 1024,
    softCapBytes: 30 * 1024 * 1024,
    staticTtl: "1h",
    minCacheTokens: [
      ["opus-4-[5-9]|haiku-4-5", 4096],
      ["haiku-3|3-5-haiku|3-haiku", 2048],
      ["claude", 1024],
    ],
    upstreamTimeoutMs: 600_000,
    responseCache: {
      enabled: true,
      replay: false,
      driver: "sqlite",
      ttlMs: 24 * 3600_000,
      maxEntryBytes: 8 * 1024 * 1024,
      maxTotalBytes: 512 * 1024 * 1024,
    },
    enrich: { enabled: false, timeoutMs: 150, tokenBudget: 1500, limit: 5 },
    filterSecrets: false,
    kernel: { projectionTimeoutMs: 300, invalidation: true },
    keepFirstMessageReminders: true,
    rebuildAfterMessages: 40,
  };
}

export type ConfigInput = Partial<Omit<CacheConfig, "responseCache" | "enrich" | "kernel">> & {
  responseCache?: Partial<CacheConfig["responseCache"]>;
  enrich?: Partial<CacheConfig["enrich"]>;
  kernel?: Partial<CacheConfig["kernel"]>;
};

/** Minimum cacheable tokens for a model, from the config table. */
export function minTokensFor(config: Pick<CacheConfig, "minCacheTokens">, model: string): number {
  for (const [pattern, tokens] of config.minCacheTokens) if (new RegExp(pattern).test(model)) return tokens;
  return 1024;
}

const TOML_KEYS: Record<string, string> = {
  host: "host",
  port: "port",
  upstream: "upstream",
  openai_upstream: "openaiUpstream",
  mode: "mode",
  soft_cap_bytes: "softCapBytes",
  static_ttl: "staticTtl",
  upstream_timeout_ms: "upstreamTimeoutMs",
  filter_secrets: "filterSecrets",
  keep_first_message_reminders: "keepFirstMessageReminders",
  rebuild_after_messages: "rebuildAfterMessages",
};

/** Reads `[cache]` from `.ostk/config.toml` (snake_case keys, sub-tables response_cache/enrich/kernel). */
export function readConfigFile(path: string): ConfigInput {
  if (!existsSync(path)) return {};
  const doc = parseToml(readFileSync(path, "utf8")) as Record<string, unknown>;
  const section = (doc.cache ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    if (k in TOML_KEYS) out[TOML_KEYS[k]] = v;
    else if (k === "min_cache_tokens" && v && typeof v === "object") out.minCacheTokens = Object.entries(v);
    else if (k === "response_cache" || k === "enrich" || k === "kernel")
      out[camel(k)] = camelKeys(v as object);
    else out[`__unknown:${k}`] = v;
  }
  return out as ConfigInput;
}

/** OSTK_CACHE_* environment variables. */
export function readConfigEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  if (env.OSTK_CACHE_HOST) out.host = env.OSTK_CACHE_HOST;
  if (env.OSTK_CACHE_PORT) out.port = Number(env.OSTK_CACHE_PORT);
  if (env.OSTK_CACHE_UPSTREAM) out.upstream = env.OSTK_CACHE_UPSTREAM;
  if (env.OSTK_CACHE_OPENAI_UPSTREAM) out.openaiUpstream = env.OSTK_CACHE_OPENAI_UPSTREAM;
  if (env.OSTK_CACHE_MODE) out.mode = env.OSTK_CACHE_MODE as CacheMode;
  if (env.OSTK_CACHE_REDIS_URL) out.responseCache = { driver: "redis", redisUrl: env.OSTK_CACHE_REDIS_URL };
  if (env.OSTK_CACHE_ENRICH)
    out.enrich = { enabled: env.OSTK_CACHE_ENRICH === "1" || env.OSTK_CACHE_ENRICH === "true" };
  return out;
}

/** Merges layers over the defaults and validates. Returns the config and warnings, or throws with every problem. */
export function resolveConfig(...layers: ConfigInput[]): { config: CacheConfig; warnings: string[] } {
  const config = defaultConfig();
  const warnings: string[] = [];
  let upstreamSet = false;
  let openaiSet = false;
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k.startsWith("__unknown:")) {
        warnings.push(`config: unknown key cache.${k.slice(10)} ignored`);
        continue;
      }
      if (k === "responseCache" || k === "enrich" || k === "kernel") Object.assign(config[k], v);
      else (config as unknown as Record<string, unknown>)[k] = v;
      if (k === "upstream") upstreamSet = true;
      if (k === "openaiUpstream") openaiSet = true;
    }
  }
  if (upstreamSet && !openaiSet) config.openaiUpstream = config.upstream;
  const errors: string[] = [];
  if (!MODES.includes(config.mode))
    errors.push(`mode: must be one of ${MODES.join(", ")} (got ${config.mode})`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535)
    errors.push("port: must be 0..65535");
  for (const key of ["upstream", "openaiUpstream"] as const) {
    try {
      const u = new URL(config[key]);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      errors.push(`${key}: must be an http(s) URL (got ${config[key]})`);
    }
  }
  if (config.staticTtl !== "5m" && config.staticTtl !== "1h") errors.push('staticTtl: must be "5m" or "1h"');
  if (config.responseCache.driver === "redis" && !config.responseCache.redisUrl)
    errors.push("responseCache.redisUrl: required with the redis driver");
  if (errors.length) throw new Error(`invalid cache configuration:\n  ${errors.join("\n  ")}`);
  return { config, warnings };
}

/** Defaults → `<workspace>/.ostk/config.toml` → env → flags. */
export function loadConfig(workspace: string, flags: ConfigInput = {}, env = process.env) {
  return resolveConfig(readConfigFile(join(workspace, ".ostk", "config.toml")), readConfigEnv(env), flags);
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function camelKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
}
