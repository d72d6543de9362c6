import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Embedder, normalize } from "./embedder.js";

type FeatureExtractor = (
  texts: string[],
  opts: { pooling: "mean"; normalize: boolean },
) => Promise<{ data: Float32Array; dims: number[] }>;

/**
 * ONNX embedder for users who have model weights on disk: loads a
 * sentence-embedding model folder (config.json, tokenizer.json, onnx/model.onnx)
 * with `@huggingface/transformers` and remote models disabled, so it never
 * touches the network. `@huggingface/transformers` is an optional peer: when it
 * is not installed this throws a clear "not configured" error and recall
 * falls back to the built-in embedder.
 */
export class OnnxEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    readonly description: string,
    private readonly extract: FeatureExtractor,
  ) {}

  static async load(modelDir: string): Promise<OnnxEmbedder> {
    if (!existsSync(join(modelDir, "config.json")))
      throw new Error(
        `onnx embedder not configured: ${modelDir} has no config.json (expected an exported sentence-embedding model folder)`,
      );
    let tf: {
      env: { allowRemoteModels: boolean; localModelPath: string; allowLocalModels: boolean };
      pipeline: (task: string, model: string) => Promise<FeatureExtractor>;
    };
    try {
      const name = "@huggingface/transformers";
      tf = (await import(name)) as typeof tf;
    } catch {
      throw new Error(
        "onnx embedder not configured: install @huggingface/transformers (with ONNXRUNTIME_NODE_INSTALL=skip) to use local ONNX models",
      );
    }
    tf.env.allowRemoteModels = false;
    tf.env.allowLocalModels = true;
    const parent = join(modelDir, "..");
    const model = modelDir.slice(parent.length + 1);
    tf.env.localModelPath = parent;
    const extract = await tf.pipeline("feature-extraction", model);
    const probe = await extract(["probe"], { pooling: "mean", normalize: true });
    const dim = probe.dims[probe.dims.length - 1];
    return new OnnxEmbedder(`onnx-${model}-${dim}`, dim, `onnx (${modelDir}, ${dim} dims)`, extract);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 32) {
      const batch = texts.slice(i, i + 32).map((t) => t.slice(0, 2000));
      const r = await this.extract(batch, { pooling: "mean", normalize: true });
      for (let j = 0; j < batch.length; j++)
        out.push(normalize(r.data.slice(j * this.dim, (j + 1) * this.dim)));
    }
    return out;
  }
}
