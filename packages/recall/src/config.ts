import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";

/** Recall settings: defaults → `.ostk/config.toml` `[recall]` → `OSTK_RECALL_*` env → explicit overrides. */
export interface RecallConfig {
  /** Extra gitignore-style patterns to skip. */
  ignore: string[];
  /** Files larger than this are not indexed. */
  maxFileBytes: number;
  /** Watcher debounce (trailing), milliseconds. */
  debounceMs: number;
  /** Upper bound on how long a burst can delay an index pass, milliseconds. */
  maxWaitMs: number;
  /** Periodic reconcile scan while watching, milliseconds (0 = off). */
  reconcileMs: number;
  /** Hits per file in a result list. */
  maxHitsPerFile: number;
  /** `static` (the shipped trained table, falls back to `hash`), `hash`, or `onnx`. */
  embedder: "static" | "hash" | "onnx";
  /** Local directory of an ONNX embedding model (only for `embedder = "onnx"`). */
  onnxModelDir?: string;
  /** Vector count above which an HNSW index is built. */
  hnswThreshold: number;
  /** While watching, also follow the kernel's committed changes when a kernel runs. */
  followKernel: boolean;
  /** Index the kernel's committed changes (`.ostk/journal.jsonl`) as searchable events. */
  journal: boolean;
  /** Index Claude Code transcripts of this workspace (off by default: they may hold secrets; text is redacted). */
  transcripts: boolean;
  /** Where Claude Code keeps transcripts. */
  transcriptsDir: string;
}

export const DEFAULT_CONFIG: RecallConfig = {
  ignore: [],
  maxFileBytes: 1024 * 1024,
  debounceMs: 300,
  maxWaitMs: 800,
  reconcileMs: 10 * 60_000,
  maxHitsPerFile: 3,
  embedder: "static",
  hnswThreshold: 20_000,
  followKernel: true,
  onnxModelDir: undefined,
  journal: true,
  transcripts: false,
  transcriptsDir: join(homedir(), ".claude", "projects"),
};

export interface ConfigResult {
  config: RecallConfig;
  warnings: string[];
}

const NUMERIC: (keyof RecallConfig)[] = [
  "maxFileBytes",
  "debounceMs",
  "maxWaitMs",
  "reconcileMs",
  "maxHitsPerFile",
  "hnswThreshold",
];

/** Load configuration for a workspace. Unknown keys and bad values become warnings, never crashes. */
export function loadConfig(workspace: string, overrides: Partial<RecallConfig> = {}): ConfigResult {
  const warnings: string[] = [];
  const config: RecallConfig = { ...DEFAULT_CONFIG, ignore: [...DEFAULT_CONFIG.ignore] };
  const file = join(workspace, ".ostk", "config.toml");
  if (existsSync(file)) {
    try {
      const doc = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
      const section = (doc.recall ?? {}) as Record<string, unknown>;
      applyRaw(config, section, `${file} [recall]`, warnings);
    } catch (err) {
      warnings.push(`${file}: could not parse (${(err as Error).message}); using defaults`);
    }
  }
  const env: Record<string, unknown> = {};
  if (process.env.OSTK_RECALL_EMBEDDER) env.embedder = process.env.OSTK_RECALL_EMBEDDER;
  if (process.env.OSTK_RECALL_ONNX_MODEL_DIR) env.onnxModelDir = process.env.OSTK_RECALL_ONNX_MODEL_DIR;
  applyRaw(config, env, "environment", warnings);
  for (const [k, v] of Object.entries(overrides))
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
  // A relative model directory means relative to the workspace, not to wherever the process started.
  if (config.onnxModelDir) config.onnxModelDir = resolve(workspace, config.onnxModelDir);
  return { config, warnings };
}

function applyRaw(
  config: RecallConfig,
  raw: Record<string, unknown>,
  where: string,
  warnings: string[],
): void {
  const target = config as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    const k = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof RecallConfig;
    if (k === "ignore") {
      if (Array.isArray(value) && value.every((v) => typeof v === "string"))
        config.ignore.push(...(value as string[]));
      else warnings.push(`${where}: ignore must be a list of strings`);
    } else if (NUMERIC.includes(k)) {
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0) target[k] = n;
      else warnings.push(`${where}: ${key} must be a non-negative number`);
    } else if (k === "embedder") {
      if (value === "static" || value === "hash" || value === "onnx") config.embedder = value;
      else warnings.push(`${where}: embedder must be "static", "hash" or "onnx"`);
    } else if (k === "followKernel" || k === "journal" || k === "transcripts") {
      if (typeof value === "boolean") config[k] = value;
      else warnings.push(`${where}: ${key} must be true or false`);
    } else if (k === "transcriptsDir") {
      if (typeof value === "string") config.transcriptsDir = value.replace(/^~(?=\/|$)/, homedir());
      else warnings.push(`${where}: transcripts_dir must be a string`);
    } else if (k === "onnxModelDir") {
      if (typeof value === "string") config.onnxModelDir = value;
      else warnings.push(`${where}: onnx_model_dir must be a string`);
    } else {
      warnings.push(`${where}: unknown key ${key} (ignored)`);
    }
  }
}
