import { defineConfig } from "tsup";
import { tsupBase } from "../../tooling/tsup.base";

export default defineConfig(
  tsupBase({ index: "src/index.ts", cli: "src/cli.ts", testing: "src/testing/index.ts" }),
);
