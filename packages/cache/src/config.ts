import { join } from "node:path";
import { type ConfigSpec, type LayeredConfig, loadLayeredConfig, type Provenance } from "@ostk/lib";

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

const pos = { type: "integer", min: 1 } as const;
const bool = { type: "boolean" } as const;
const httpUrl = { type: "string", url: ["http:", "https:"] } as const;

/** The cache's settings: the `[cache]` table of `.ostk/config.toml` (snake_case keys, sub-tables). */
export const CACHE_CONFIG_SPEC: ConfigSpec<CacheConfig> = {
  layer: "cache",
  section: "cache",
  defaults: defaultConfig(),
  fields: {
    host: { type: "string", pattern: /^\S+$/, patternHint: "a host name or address" },
    port: { type: "integer", min: 0, max: 65535 },
    upstream: { ...httpUrl, doc: "Anthropic upstream (and OpenAI's unless openai_upstream is set)" },
    openaiUpstream: httpUrl,
    mode: { type: "string", enum: MODES },
    bodyLimitBytes: pos,
    softCapBytes: pos,
    staticTtl: { type: "string", enum: ["5m", "1h"] },
    minCacheTokens: { type: "int-table", min: 0 },
    upstreamTimeoutMs: pos,
    responseCache: {
      type: "section",
      fields: {
        enabled: bool,
        replay: bool,
        driver: { type: "string", enum: ["sqlite", "redis"] },
        redisUrl: {
          type: "string",
          pattern: /^(rediss?:\/\/|\/)/,
          patternHint: "a redis:// or rediss:// URL (or a unix socket path)",
          secret: true,
        },
        ttlMs: pos,
        maxEntryBytes: pos,
        maxTotalBytes: pos,
      },
    },
    enrich: {
      type: "section",
      fields: { enabled: bool, socketPath: { type: "string" }, timeoutMs: pos, tokenBudget: pos, limit: pos },
    },
    filterSecrets: bool,
    kernel: {
      type: "section",
      fields: { socketPath: { type: "string" }, projectionTimeoutMs: pos, invalidation: bool },
    },
    keepFirstMessageReminders: bool,
    rebuildAfterMessages: { type: "integer", min: 0 },
  },
  env: [
    { name: "OSTK_CACHE_HOST", key: "host" },
    { name: "OSTK_CACHE_PORT", key: "port" },
    { name: "OSTK_CACHE_UPSTREAM", key: "upstream" },
    { name: "OSTK_CACHE_OPENAI_UPSTREAM", key: "openaiUpstream" },
    { name: "OSTK_CACHE_MODE", key: "mode" },
    { name: "OSTK_CACHE_REDIS_URL", key: "responseCache.driver", value: () => "redis" },
    { name: "OSTK_CACHE_REDIS_URL", key: "responseCache.redisUrl" },
    { name: "OSTK_CACHE_ENRICH", key: "enrich.enabled" },
  ],
  finalize(config, ctx) {
    // An explicit upstream is also the OpenAI upstream unless that was set too.
    const up = ctx.sourceOf("upstream");
    if (up.kind !== "default" && ctx.sourceOf("openaiUpstream").kind === "default")
      ctx.set("openaiUpstream", config.upstream, { kind: "derived", from: "upstream" });
    if (config.responseCache.driver === "redis" && !config.responseCache.redisUrl)
      ctx.fail("responseCache.driver", 'is "redis" but response_cache.redis_url is not set');
  },
};

/** CLI flags of `ostk-cache serve`, by the setting they set (for error messages and --print-config). */
export const CACHE_FLAG_NAMES: Record<string, string> = {
  port: "--port",
  host: "--host",
  upstream: "--upstream",
  openaiUpstream: "--openai-upstream",
  mode: "--mode",
  "responseCache.driver": "--redis",
  "responseCache.redisUrl": "--redis",
  "responseCache.enabled": "--no-response-cache",
  "enrich.enabled": "--enrich",
  filterSecrets: "--filter-secrets",
};

export interface LoadCacheConfigOptions {
  /** Extra config files with a `[cache]` table, after `.ostk/config.toml` (e.g. `--config <file>`; must exist). */
  files?: string[];
  /** Skip `.ostk/config.toml` and OSTK_CACHE_* (tests, embedding). */
  ignoreConfigFiles?: boolean;
  /** Name the CLI flags in errors and provenance (default: options of a program). */
  flagNames?: Record<string, string>;
}

/** Every layer, validated, with the source of each setting; or every problem. */
export function loadCacheLayers(
  workspace: string,
  flags: ConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadCacheConfigOptions = {},
): LayeredConfig<CacheConfig> {
  const own = opts.ignoreConfigFiles ? [] : [join(workspace, ".ostk", "config.toml")];
  return loadLayeredConfig(CACHE_CONFIG_SPEC, {
    files: [...own, ...(opts.files ?? []).map((path) => ({ path, required: true }))],
    env: opts.ignoreConfigFiles ? {} : env,
    flags,
    flagNames: opts.flagNames,
  });
}

/**
 * Defaults → `<workspace>/.ostk/config.toml` `[cache]` → extra files → OSTK_CACHE_* env → flags.
 * Returns the config, or throws a `ConfigError` listing every problem (key, value, expectation, source).
 */
export function loadConfig(
  workspace: string,
  flags: ConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadCacheConfigOptions = {},
): { config: CacheConfig; warnings: string[]; provenance: Provenance } {
  const r = loadCacheLayers(workspace, flags, env, opts);
  if (!r.ok) throw r.error;
  return r;
}

/** Merges program-shaped layers (lowest first) over the defaults and validates; throws a `ConfigError`. */
export function resolveConfig(...layers: ConfigInput[]): { config: CacheConfig; warnings: string[] } {
  const merged: Record<string, unknown> = {};
  for (const layer of layers)
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const prev = merged[k];
      merged[k] =
        prev && typeof prev === "object" && !Array.isArray(prev) && typeof v === "object" && !Array.isArray(v)
          ? { ...prev, ...v }
          : v;
    }
  return loadConfig("", merged as ConfigInput, {}, { ignoreConfigFiles: true });
}
