import { defineConfig } from "tsup";
import { tsupBase } from "../../tooling/tsup.base.ts";

/**
 * @lancedb/lancedb's JavaScript is bundled into dist (Apache-2.0, notice in
 * LICENSES/lancedb.txt) and its native binary comes from its per-platform
 * packages, which are recall's own optional dependencies. Depending on
 * @lancedb/lancedb itself would also install its optional @huggingface/transformers
 * → onnxruntime-node, whose install script downloads CUDA binaries from GitHub
 * (a failed or multi-hundred-MB download on every `npm i @ostk/recall`); recall
 * never uses LanceDB's embedding functions. The ONNX embedder takes
 * @huggingface/transformers as an optional peer instead.
 */
export default defineConfig(
  tsupBase(
    { index: "src/index.ts", cli: "src/cli.ts" },
    {
      noExternal: ["@lancedb/lancedb"],
      external: [/^@lancedb\/lancedb-/, /\.node$/, "openai", "@huggingface/transformers", "apache-arrow"],
      // the bundled (CommonJS) LanceDB loader calls require() for its native package
      banner: {
        js: 'import { createRequire as __recallRequire } from "node:module";\nconst require = __recallRequire(import.meta.url);',
      },
    },
  ),
);
