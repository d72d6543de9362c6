import { join } from "node:path";
import type { RecallConfig } from "../config.js";
import { loadOnnxFolder, type Model, type Tokenizer } from "../embed/onnx-folder.js";
import type { Logger } from "../logger.js";
import { DEFAULT_WEIGHTS } from "./rerank.js";

/** Scores (query, passage) pairs: higher = more relevant. */
export interface CrossEncoder {
  readonly id: string;
  readonly description: string;
  score(query: string, passages: string[]): Promise<Float32Array>;
}

const BATCH = 16;
/** Passages are cut to this many characters before tokenising (the tokenizer truncates to the model's length). */
const MAX_CHARS = 2000;

/**
 * A cross-encoder from a local ONNX sequence-classification folder (an ms-marco / bge-reranker style
 * export): the query and each passage are tokenised as one pair and the model's logit is the
 * relevance. One logit per pair is used as is; with two labels, the second minus the first (the
 * "relevant" class of a binary classifier).
 */
export class OnnxCrossEncoder implements CrossEncoder {
  private constructor(
    readonly id: string,
    readonly description: string,
    private readonly tokenizer: Tokenizer,
    private readonly model: Model,
  ) {}

  static async load(modelDir: string): Promise<OnnxCrossEncoder> {
    const m = await loadOnnxFolder(modelDir, "reranker");
    const weights = join(m.dir, m.weightsFile);
    const ce = new OnnxCrossEncoder(
      `onnx-rerank-${m.name}-${m.fingerprint}`,
      `onnx cross-encoder (${weights}, ${m.dtype})`,
      m.tokenizer,
      m.model,
    );
    // A model that is not a classifier fails here, with its output shapes, rather than at the first search.
    await ce.score("probe", ["probe"]);
    return ce;
  }

  async score(query: string, passages: string[]): Promise<Float32Array> {
    const out = new Float32Array(passages.length);
    for (let i = 0; i < passages.length; i += BATCH) {
      const batch = passages.slice(i, i + BATCH).map((p) => p.slice(0, MAX_CHARS));
      const inputs = this.tokenizer(
        batch.map(() => query),
        { text_pair: batch, padding: true, truncation: true },
      );
      const { logits } = await this.model(inputs);
      if (logits?.dims.length !== 2 || logits.dims[0] !== batch.length || logits.dims[1] > 2)
        throw new Error(
          `${this.description} outputs ${logits ? `logits [${logits.dims.join(", ")}]` : "no logits"}; expected logits [batch, 1] or [batch, 2] (a sequence-classification export)`,
        );
      const labels = logits.dims[1];
      for (let j = 0; j < batch.length; j++) {
        const s =
          labels === 1 ? Number(logits.data[j]) : Number(logits.data[j * 2 + 1]) - Number(logits.data[j * 2]);
        out[i + j] = Number.isFinite(s) ? s : Number.NEGATIVE_INFINITY;
      }
    }
    return out;
  }
}

/** Which reranker runs: the linear model always; a cross-encoder over its top hits when configured and loadable. */
export interface RerankerChoice {
  crossEncoder?: CrossEncoder;
  description: string;
}

const LINEAR = `linear (${Object.keys(DEFAULT_WEIGHTS).length} features over the fused candidates)`;

export async function selectReranker(config: RecallConfig, logger: Logger): Promise<RerankerChoice> {
  if (config.reranker !== "onnx") return { description: LINEAR };
  try {
    if (!config.onnxRerankerDir)
      throw new Error("onnx reranker not configured: set recall.onnx_reranker_dir");
    const crossEncoder = await OnnxCrossEncoder.load(config.onnxRerankerDir);
    return {
      crossEncoder,
      description: `${LINEAR}, then ${crossEncoder.description} on the top ${config.rerankTop}`,
    };
  } catch (err) {
    logger.warn({ err }, "onnx reranker unavailable; using the linear reranker alone");
    return { description: `${LINEAR} — fallback: onnx requested but ${(err as Error).message}` };
  }
}
