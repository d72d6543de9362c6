import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type ConfigSpec, type LayeredConfig, loadLayeredConfig, type Provenance } from "@ostk/lib";

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
  /** `linear` (built in), or `onnx`: a local cross-encoder re-orders the linear reranker's top hits. */
  reranker: "linear" | "onnx";
  /** Local directory of an ONNX cross-encoder (sequence-classification) model (only for `reranker = "onnx"`). */
  onnxRerankerDir?: string;
  /** How many of the linear reranker's top hits the cross-encoder re-orders. */
  rerankTop: number;
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
  reranker: "linear",
  onnxRerankerDir: undefined,
  rerankTop: 20,
  journal: true,
  transcripts: false,
  transcriptsDir: join(homedir(), ".claude", "projects"),
};

const count = { type: "integer", min: 0 } as const;
const path = { type: "string", patternHint: "a directory path" } as const;

/** The `[recall]` table of `.ostk/config.toml` (snake_case keys; camelCase accepted). */
export const RECALL_CONFIG_SPEC: ConfigSpec<RecallConfig> = {
  layer: "recall",
  section: "recall",
  defaults: DEFAULT_CONFIG,
  fields: {
    ignore: { type: "string[]", doc: "extra gitignore-style patterns to skip" },
    maxFileBytes: { type: "integer", min: 1 },
    debounceMs: count,
    maxWaitMs: count,
    reconcileMs: { ...count, doc: "0 = off" },
    maxHitsPerFile: { type: "integer", min: 1 },
    embedder: { type: "string", enum: ["static", "hash", "onnx"] },
    onnxModelDir: path,
    reranker: { type: "string", enum: ["linear", "onnx"] },
    onnxRerankerDir: path,
    rerankTop: { type: "integer", min: 1, max: 100 },
    hnswThreshold: count,
    followKernel: { type: "boolean" },
    journal: { type: "boolean" },
    transcripts: { type: "boolean" },
    transcriptsDir: { ...path, transform: (v) => v.replace(/^~(?=\/|$)/, homedir()) },
  },
  env: [
    { name: "OSTK_RECALL_EMBEDDER", key: "embedder" },
    { name: "OSTK_RECALL_ONNX_MODEL_DIR", key: "onnxModelDir" },
    { name: "OSTK_RECALL_RERANKER", key: "reranker" },
    { name: "OSTK_RECALL_ONNX_RERANKER_DIR", key: "onnxRerankerDir" },
  ],
};

export interface ConfigResult {
  config: RecallConfig;
  warnings: string[];
  provenance: Provenance;
}

/** Every layer, validated, with the source of each setting; or every problem. */
export function loadRecallLayers(
  workspace: string,
  overrides: Partial<RecallConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): LayeredConfig<RecallConfig> {
  const r = loadLayeredConfig(RECALL_CONFIG_SPEC, {
    files: [join(workspace, ".ostk", "config.toml")],
    env,
    flags: overrides,
  });
  // A relative model directory means relative to the workspace, not to wherever the process started.
  if (r.ok && r.config.onnxModelDir) r.config.onnxModelDir = resolve(workspace, r.config.onnxModelDir);
  if (r.ok && r.config.onnxRerankerDir)
    r.config.onnxRerankerDir = resolve(workspace, r.config.onnxRerankerDir);
  return r;
}

/**
 * Load configuration for a workspace. A bad value or an unknown key throws a `ConfigError` naming
 * the key, the value, what was expected and where it came from (file, env, option): recall does not
 * start on a configuration it would have to guess about.
 */
export function loadConfig(
  workspace: string,
  overrides: Partial<RecallConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): ConfigResult {
  const r = loadRecallLayers(workspace, overrides, env);
  if (!r.ok) throw r.error;
  return r;
}
