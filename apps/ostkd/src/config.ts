import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CacheMode, loadConfig as loadCacheConfig, MODES } from "@ostk/cache";
import { loadConfig as loadKernelConfig } from "@ostk/kernel";
import type { ConfigError } from "@ostk/lib";
import { loadRecallLayers } from "@ostk/recall";
import { parse as parseToml } from "smol-toml";

export type LayerName = "kernel" | "recall" | "cache";
export const LAYERS: readonly LayerName[] = ["kernel", "recall", "cache"];
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

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
  | { ok: true; config: OstkdConfig; cache: CacheFlags; warnings: string[] }
  | { ok: false; errors: string[] };

/**
 * Defaults → `.ostk/config.toml` `[ostkd]` → `OSTK_*` env → flags, validated; then the layers'
 * own sections are validated by the layers' loaders so every problem is reported up front as
 * `path: message`, before anything starts.
 */
export function loadOstkdConfig(
  workspace: string,
  flags: OstkdFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): OstkdConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const config: OstkdConfig = { ...DEFAULTS, layers: [...DEFAULTS.layers] };
  const file = join(workspace, ".ostk", "config.toml");
  let section: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const doc = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
      section = (doc.ostkd ?? {}) as Record<string, unknown>;
    } catch (err) {
      return { ok: false, errors: [`${file}: ${(err as Error).message.split("\n")[0]}`] };
    }
  }
  apply(config, section, "ostkd", errors, warnings);
  const fromEnv: Record<string, unknown> = {};
  if (env.OSTK_LAYERS !== undefined) fromEnv.layers = env.OSTK_LAYERS.split(",").map((s) => s.trim());
  if (env.OSTK_LOG_LEVEL !== undefined) fromEnv.log_level = env.OSTK_LOG_LEVEL;
  if (env.OSTK_LOG !== undefined) fromEnv.log = env.OSTK_LOG;
  if (env.OSTK_SHUTDOWN_TIMEOUT_MS !== undefined)
    fromEnv.shutdown_timeout_ms = Number(env.OSTK_SHUTDOWN_TIMEOUT_MS);
  if (env.OSTK_RECALL_WATCH !== undefined) fromEnv.recall_watch = env.OSTK_RECALL_WATCH !== "0";
  apply(config, fromEnv, "env", errors, warnings);
  const { cache: cacheFlags = {}, ...own } = flags;
  apply(config, own as Record<string, unknown>, "flag", errors, warnings);

  if (config.layers.includes("kernel")) {
    const k = loadKernelConfig(workspace, env);
    if (!k.ok) errors.push(...k.errors);
    else warnings.push(...k.warnings.filter((w) => !/^(ostkd|recall|cache): unknown/.test(w)));
  }
  if (config.layers.includes("recall")) {
    const r = loadRecallLayers(workspace, {}, env);
    if (!r.ok) errors.push(...r.error.lines);
  }
  if (config.layers.includes("cache")) {
    try {
      const c = loadCacheConfig(workspace, cacheFlags, env);
      warnings.push(...c.warnings);
    } catch (err) {
      // A ConfigError (by shape: the cache may load another copy of @ostk/lib).
      const lines = (err as Partial<ConfigError>).lines;
      if (Array.isArray(lines)) errors.push(...lines);
      else errors.push(`cache: ${(err as Error).message}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, config, cache: cacheFlags, warnings };
}

function apply(
  config: OstkdConfig,
  raw: Record<string, unknown>,
  where: string,
  errors: string[],
  warnings: string[],
): void {
  const at = (k: string) => (where === "ostkd" ? `ostkd.${k}` : `${where} ${k}`);
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    switch (key) {
      case "layers": {
        const list = Array.isArray(value) ? value : null;
        const bad = list?.filter((l) => !LAYERS.includes(l as LayerName)) ?? [];
        if (!list || bad.length || list.length === 0)
          errors.push(`${at(key)}: must be a non-empty list of ${LAYERS.join(", ")} (got ${String(value)})`);
        else config.layers = LAYERS.filter((l) => list.includes(l));
        break;
      }
      case "log_level":
        if (typeof value !== "string" || !LOG_LEVELS.includes(value))
          errors.push(`${at(key)}: must be one of ${LOG_LEVELS.join(", ")} (got ${String(value)})`);
        else config.log_level = value;
        break;
      case "log":
        if (typeof value !== "string" || !value)
          errors.push(`${at(key)}: must be a file path or "-" for stderr`);
        else config.log = value;
        break;
      case "shutdown_timeout_ms":
        if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value) && value > 0))
          config.shutdown_timeout_ms = Number(value);
        else errors.push(`${at(key)}: must be a positive integer (milliseconds)`);
        break;
      case "recall_watch":
        if (typeof value !== "boolean") errors.push(`${at(key)}: must be true or false`);
        else config.recall_watch = value;
        break;
      default:
        warnings.push(`${at(key)}: unknown setting, ignored`);
    }
  }
}

export function isCacheMode(s: string): s is CacheMode {
  return (MODES as readonly string[]).includes(s);
}
