import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Embedder, normalize } from "./embedder.js";

interface Tensor {
  dims: number[];
  data: ArrayLike<number | bigint>;
}

/** Text batch → [batch, dim] pooled embeddings (not yet normalised). */
type Pool = (texts: string[]) => Promise<{ data: Float32Array; dims: number[] }>;

interface Loadable<T> {
  from_pretrained(name: string, opts: Record<string, unknown>): Promise<T>;
}

interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  AutoTokenizer: Loadable<
    (texts: string[], opts: { padding: boolean; truncation: boolean }) => Record<string, Tensor>
  >;
  AutoModel: Loadable<(inputs: Record<string, Tensor>) => Promise<Record<string, Tensor | undefined>>>;
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

const BATCH = 32;
const MAX_CHARS = 2000;

// `env.localModelPath` is global to transformers.js: loads are serialised so two folders never race on it.
let loading: Promise<unknown> = Promise.resolve();

/**
 * ONNX embedder for users who have model weights on disk: loads a
 * sentence-embedding model folder (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx — or model.onnx at the top, or a
 * quantized variant) with `@huggingface/transformers`, remote models disabled,
 * so it never touches the network. The model's token embeddings
 * (`last_hidden_state`) are mean-pooled over the attention mask and normalised.
 * `@huggingface/transformers` is an optional peer: when it is not installed this
 * throws a clear "not configured" error and recall falls back to the built-in
 * embedder.
 */
export class OnnxEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    readonly description: string,
    private readonly pool: Pool,
  ) {}

  static load(modelDir: string): Promise<OnnxEmbedder> {
    const next = loading.then(
      () => OnnxEmbedder.loadNow(modelDir),
      () => OnnxEmbedder.loadNow(modelDir),
    );
    loading = next.catch(() => undefined);
    return next;
  }

  private static async loadNow(modelDir: string): Promise<OnnxEmbedder> {
    const dir = resolve(modelDir);
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"])
      if (!existsSync(join(dir, f)))
        throw new Error(
          `onnx embedder not configured: ${dir} has no ${f} (expected an exported sentence-embedding model folder)`,
        );
    const weights = findWeights(dir);
    if (!weights)
      throw new Error(
        `onnx embedder not configured: ${dir} has no ${WEIGHTS.map(([f]) => f).join(", ")} in onnx/ or at its top`,
      );
    let tf: TransformersModule;
    try {
      const name = "@huggingface/transformers";
      tf = (await import(name)) as TransformersModule;
    } catch (err) {
      throw new Error(
        `onnx embedder not configured: could not load @huggingface/transformers (${(err as Error).message}); to use local ONNX models install it next to @ostk/recall: ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm i @huggingface/transformers@^3.0.2 (the variables keep onnxruntime-node's install script from downloading CUDA binaries)`,
      );
    }
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    tf.env.localModelPath = dirname(dir);
    const name = basename(dir);
    let pool: Pool;
    try {
      // The tokenizer and the model are loaded directly (not through pipeline()), which in 3.x
      // ignores `subfolder` and so cannot load a model.onnx at the top of the folder.
      const tokenizer = await tf.AutoTokenizer.from_pretrained(name, { local_files_only: true });
      const model = await tf.AutoModel.from_pretrained(name, {
        dtype: weights.dtype,
        subfolder: weights.subfolder,
        local_files_only: true,
      });
      pool = async (texts) => {
        const inputs = tokenizer(texts, { padding: true, truncation: true });
        const out = await model(inputs);
        return meanPool(out, inputs.attention_mask, dir);
      };
    } catch (err) {
      throw new Error(`onnx embedder could not load ${join(dir, weights.rel)}: ${(err as Error).message}`);
    }
    const probe = await pool(["probe"]);
    const dim = probe.dims[1];
    // The id changes when the weights do, so swapping the model in the same folder re-embeds everything.
    const id = `onnx-${name}-${dim}-${fingerprint(join(dir, weights.rel))}`;
    return new OnnxEmbedder(id, dim, `onnx (${join(dir, weights.rel)}, ${weights.dtype}, ${dim} dims)`, pool);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const batch = texts.slice(i, i + BATCH).map((t) => t.slice(0, MAX_CHARS));
      const r = await this.pool(batch);
      for (let j = 0; j < batch.length; j++) {
        const v = r.data.slice(j * this.dim, (j + 1) * this.dim);
        // A text with no tokens pools to 0/0: store a zero vector rather than NaNs.
        if (!v.every(Number.isFinite)) v.fill(0);
        out.push(normalize(v));
      }
    }
    return out;
  }
}

/**
 * Mean of the token embeddings over the attention mask (`last_hidden_state` or
 * `token_embeddings`, [batch, tokens, dim]); a model that already pools
 * (`sentence_embedding`/`pooler_output`, [batch, dim]) is taken as is.
 */
function meanPool(
  out: Record<string, Tensor | undefined>,
  mask: Tensor | undefined,
  dir: string,
): { data: Float32Array; dims: number[] } {
  const tokens = out.last_hidden_state ?? out.token_embeddings;
  if (tokens?.dims.length === 3) {
    const [b, s, d] = tokens.dims;
    const data = new Float32Array(b * d);
    for (let i = 0; i < b; i++) {
      let n = 0;
      for (let t = 0; t < s; t++) {
        if (mask && Number(mask.data[i * s + t]) === 0) continue;
        n++;
        for (let k = 0; k < d; k++) data[i * d + k] += Number(tokens.data[(i * s + t) * d + k]);
      }
      for (let k = 0; k < d; k++) data[i * d + k] /= n;
    }
    return { data, dims: [b, d] };
  }
  const pooled = out.sentence_embedding ?? out.pooler_output;
  if (pooled?.dims.length === 2) return { data: Float32Array.from(pooled.data, Number), dims: pooled.dims };
  const shapes = Object.entries(out).map(([k, v]) => `${k} [${v?.dims.join(", ")}]`);
  throw new Error(
    `onnx embedder: ${dir} outputs ${shapes.join(", ")}; expected last_hidden_state/token_embeddings [batch, tokens, dim] or sentence_embedding [batch, dim]`,
  );
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
