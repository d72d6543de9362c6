import type { RecallConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Embedder } from "./embedder.js";
import { HashEmbedder } from "./hash-embedder.js";
import { OnnxEmbedder } from "./onnx-embedder.js";
import { StaticEmbedder } from "./static-embedder.js";

/** Pick the embedder the config asks for; anything that cannot load falls back (and says so in its description). */
export async function selectEmbedder(config: RecallConfig, logger: Logger): Promise<Embedder> {
  if (config.embedder === "onnx") {
    try {
      if (!config.onnxModelDir) throw new Error("onnx embedder not configured: set recall.onnx_model_dir");
      return await OnnxEmbedder.load(config.onnxModelDir);
    } catch (err) {
      logger.warn({ err }, "onnx embedder unavailable; using the built-in static embedder");
      return withNote(await builtin(), `onnx requested but ${(err as Error).message}`);
    }
  }
  if (config.embedder === "hash") return new HashEmbedder();
  return builtin();
}

async function builtin(): Promise<Embedder> {
  const s = await StaticEmbedder.loadShipped();
  if (s) return s;
  return withNote(new HashEmbedder(), "static table asset missing");
}

function withNote(e: Embedder, note: string): Embedder {
  return {
    id: e.id,
    dim: e.dim,
    description: `${e.description} — fallback: ${note}`,
    embed: (t) => e.embed(t),
  };
}
