import { join } from "node:path";
import { type Embedder, normalize } from "./embedder.js";
import { loadOnnxFolder, type Tensor } from "./onnx-folder.js";

/** Text batch → [batch, dim] pooled embeddings (not yet normalised). */
type Pool = (texts: string[]) => Promise<{ data: Float32Array; dims: number[] }>;

const BATCH = 32;
const MAX_CHARS = 2000;

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

  static async load(modelDir: string): Promise<OnnxEmbedder> {
    const m = await loadOnnxFolder(modelDir, "embedder");
    const pool: Pool = async (texts) => {
      const inputs = m.tokenizer(texts, { padding: true, truncation: true });
      const out = await m.model(inputs);
      return meanPool(out, inputs.attention_mask, m.dir);
    };
    const probe = await pool(["probe"]);
    const dim = probe.dims[1];
    // The id changes when the weights do, so swapping the model in the same folder re-embeds everything.
    const id = `onnx-${m.name}-${dim}-${m.fingerprint}`;
    const weights = join(m.dir, m.weightsFile);
    return new OnnxEmbedder(id, dim, `onnx (${weights}, ${m.dtype}, ${dim} dims)`, pool);
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
