import { join } from "node:path";
import { CACHE_FLAG_NAMES, type CacheMode, loadConfig as loadCacheConfig } from "@ostk/cache";
import { loadConfig as loadKernelConfig } from "@ostk/kernel";
import { type ConfigError, type ConfigSpec, loadLayeredConfig, type Provenance } from "@ostk/lib";
import { loadRecallLayers } from "@ostk/recall";

export type LayerName = "kernel" | "recall" | "cache";
export const LAYERS: readonly LayerName[] = ["kernel", "recall", "cache"];
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** What only the app needs: the `[ostkd]` section of `.ostk/config.toml`. */
export interface OstkdConfig {
  /** Layers to start (the kernel first, then recall, then the cache). */
  layers: LayerName[];
  log_level: string;
  /** Where the JSON log goes: a file path (relative to the workspace) or "-" for stderr. */
  log: string;
  /** Grace period for a graceful shutdown before it is forced. */
  shutdown_timeout_ms: number;
  /** Keep recall's index current with its own file watcher (in addition to kernel commits). */
  recall_watch: boolean;
}

/** Flags the app passes through to the cache proxy (the cache validates them). */
export interface CacheFlags {
  port?: number;
  host?: string;
  mode?: CacheMode;
  upstream?: string;
}

export interface OstkdFlags extends Partial<OstkdConfig> {
  cache?: CacheFlags;
}

export const DEFAULTS: OstkdConfig = {
  layers: [...LAYERS],
  log_level: "info",
  log: ".ostk/ostkd.log",
  shutdown_timeout_ms: 15_000,
  recall_watch: true,
};

export type OstkdConfigResult =
  | { ok: true; config: OstkdConfig; cache: CacheFlags; warnings: string[]; provenance: Provenance }
  | { ok: false; errors: string[] };

/** The `[ostkd]` table of `.ostk/config.toml`, validated by `@ostk/lib`'s layered loader. */
export const OSTKD_CONFIG_SPEC: ConfigSpec<OstkdConfig> = {
  layer: "ostkd",
  section: "ostkd",
  defaults: DEFAULTS,
  fields: {
    layers: { type: "string[]", items: LAYERS, nonEmpty: true },
    log_level: { type: "string", enum: LOG_LEVELS },
    log: { type: "string", pattern: /./, patternHint: 'a file path or "-" for stderr' },
    shutdown_timeout_ms: { type: "integer", min: 1 },
    recall_watch: { type: "boolean" },
  },
  env: [
    { name: "OSTK_LAYERS", key: "layers" },
    { name: "OSTK_LOG_LEVEL", key: "log_level" },
    { name: "OSTK_LOG", key: "log" },
    { name: "OSTK_SHUTDOWN_TIMEOUT_MS", key: "shutdown_timeout_ms" },
    { name: "OSTK_RECALL_WATCH", key: "recall_watch", value: (t) => t !== "0" },
  ],
  finalize(config, ctx) {
    // The kernel first, then recall, then the cache, whatever order they were listed in.
    ctx.set(
      "layers",
      LAYERS.filter((l) => config.layers.includes(l)),
      ctx.sourceOf("layers"),
    );
  },
};

const FLAG_NAMES = {
  layers: "--layers",
  log: "--log",
  log_level: "--log-level",
  shutdown_timeout_ms: "--shutdown-timeout",
};

/**
 * Defaults → `.ostk/config.toml` `[ostkd]` → `OSTK_*` env → flags, validated; then the layers'
 * own sections are validated by the layers' loaders so every problem is reported up front as
 * `key: message (source)`, before anything starts.
 */
export function loadOstkdConfig(
  workspace: string,
  flags: OstkdFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): OstkdConfigResult {
  const { cache: cacheFlags = {}, ...own } = flags;
  const r = loadLayeredConfig(OSTKD_CONFIG_SPEC, {
    files: [join(workspace, ".ostk", "config.toml")],
    env,
    flags: own,
    flagNames: FLAG_NAMES,
  });
  // A file that cannot be read or parsed: say it once, not once per layer.
  if (!r.ok && r.issues.some((i) => i.key === "")) return { ok: false, errors: r.error.lines };
  const errors = r.ok ? [] : r.error.lines;
  const config = r.ok ? r.config : { ...DEFAULTS, layers: [...DEFAULTS.layers] };
  if (config.layers.includes("kernel")) {
    const k = loadKernelConfig(workspace, env);
    if (!k.ok) errors.push(...k.errors);
  }
  if (config.layers.includes("recall")) {
    const rc = loadRecallLayers(workspace, {}, env);
    if (!rc.ok) errors.push(...rc.error.lines);
  }
  // Cache flags are checked even when the cache is not started: a typo in a flag is never ignored.
  if (config.layers.includes("cache") || Object.keys(cacheFlags).length) {
    try {
      loadCacheConfig(workspace, cacheFlags, env, { flagNames: CACHE_FLAG_NAMES });
    } catch (err) {
      // A ConfigError (by shape: the cache may load another copy of @ostk/lib).
      const lines = (err as Partial<ConfigError>).lines;
      if (Array.isArray(lines)) errors.push(...lines);
      else errors.push(`cache: ${(err as Error).message}`);
    }
  }
  if (!r.ok || errors.length) return { ok: false, errors };
  return { ok: true, config: r.config, cache: cacheFlags, warnings: [], provenance: r.provenance };
}
