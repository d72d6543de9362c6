import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** An ONNX runtime tensor as transformers.js hands it back. */
export interface Tensor {
  dims: number[];
  data: ArrayLike<number | bigint>;
}

export type Tokenizer = (
  texts: string[],
  opts: { text_pair?: string[]; padding: boolean; truncation: boolean },
) => Record<string, Tensor>;

export type Model = (inputs: Record<string, Tensor>) => Promise<Record<string, Tensor | undefined>>;

interface Loadable<T> {
  from_pretrained(name: string, opts: Record<string, unknown>): Promise<T>;
}

interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  AutoTokenizer: Loadable<Tokenizer>;
  AutoModel: Loadable<Model>;
  AutoModelForSequenceClassification: Loadable<Model>;
}

/** Weight files an exported folder may hold, in order of preference, with the dtype transformers.js names them by. */
const WEIGHTS: [file: string, dtype: string][] = [
  ["model.onnx", "fp32"],
  ["model_fp16.onnx", "fp16"],
  ["model_quantized.onnx", "q8"],
  ["model_int8.onnx", "int8"],
  ["model_uint8.onnx", "uint8"],
  ["model_q4.onnx", "q4"],
];

/** A loaded model folder: its tokenizer, its model, and what to call it in ids and descriptions. */
export interface OnnxFolder {
  dir: string;
  /** The folder's name (transformers.js loads models by name under `localModelPath`). */
  name: string;
  /** The weights file, relative to `dir`. */
  weightsFile: string;
  dtype: string;
  /** Changes when the weights do. */
  fingerprint: string;
  tokenizer: Tokenizer;
  model: Model;
}

export type OnnxRole = "embedder" | "reranker";

// `env.localModelPath` is global to transformers.js: loads are serialised so two folders never race on it.
let loading: Promise<unknown> = Promise.resolve();

/**
 * Loads an exported model folder (config.json, tokenizer.json, tokenizer_config.json, and the weights
 * as onnx/model.onnx or model.onnx at the top, or a quantized variant) with `@huggingface/transformers`,
 * remote models disabled and `local_files_only`, so it never touches the network.
 * `@huggingface/transformers` is an optional peer: without it this throws a clear "not configured"
 * error naming the install command, and the caller falls back to what is built in.
 */
export function loadOnnxFolder(modelDir: string, role: OnnxRole): Promise<OnnxFolder> {
  const next = loading.then(
    () => loadNow(modelDir, role),
    () => loadNow(modelDir, role),
  );
  loading = next.catch(() => undefined);
  return next;
}

async function loadNow(modelDir: string, role: OnnxRole): Promise<OnnxFolder> {
  const dir = resolve(modelDir);
  const kind = role === "embedder" ? "sentence-embedding" : "cross-encoder (sequence classification)";
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"])
    if (!existsSync(join(dir, f)))
      throw new Error(
        `onnx ${role} not configured: ${dir} has no ${f} (expected an exported ${kind} model folder)`,
      );
  const weights = findWeights(dir);
  if (!weights)
    throw new Error(
      `onnx ${role} not configured: ${dir} has no ${WEIGHTS.map(([f]) => f).join(", ")} in onnx/ or at its top`,
    );
  let tf: TransformersModule;
  try {
    const name = "@huggingface/transformers";
    tf = (await import(name)) as TransformersModule;
  } catch (err) {
    throw new Error(
      `onnx ${role} not configured: could not load @huggingface/transformers (${(err as Error).message}); to use local ONNX models install it next to @ostk/recall: ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm i @huggingface/transformers@^3.0.2 (the variables keep onnxruntime-node's install script from downloading CUDA binaries)`,
    );
  }
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = dirname(dir);
  const name = basename(dir);
  try {
    // The tokenizer and the model are loaded directly (not through pipeline()), which in 3.x
    // ignores `subfolder` and so cannot load a model.onnx at the top of the folder.
    const tokenizer = await tf.AutoTokenizer.from_pretrained(name, { local_files_only: true });
    const Auto = role === "embedder" ? tf.AutoModel : tf.AutoModelForSequenceClassification;
    const model = await Auto.from_pretrained(name, {
      dtype: weights.dtype,
      subfolder: weights.subfolder,
      local_files_only: true,
    });
    return {
      dir,
      name,
      weightsFile: weights.rel,
      dtype: weights.dtype,
      fingerprint: fingerprint(join(dir, weights.rel)),
      tokenizer,
      model,
    };
  } catch (err) {
    throw new Error(`onnx ${role} could not load ${join(dir, weights.rel)}: ${(err as Error).message}`);
  }
}

function findWeights(dir: string): { rel: string; subfolder: string; dtype: string } | undefined {
  for (const subfolder of ["onnx", ""])
    for (const [file, dtype] of WEIGHTS)
      if (existsSync(join(dir, subfolder, file))) return { rel: join(subfolder, file), subfolder, dtype };
  return undefined;
}

/** Size plus the first and last MiB of the weights: cheap even for large models, changes when they do. */
function fingerprint(file: string): string {
  const size = statSync(file).size;
  const h = createHash("sha256").update(String(size));
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, chunk, 0, chunk.length, 0);
    h.update(chunk);
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    h.update(chunk);
  } finally {
    closeSync(fd);
  }
  return h.digest("hex").slice(0, 12);
}
