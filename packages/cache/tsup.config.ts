import { defineConfig } from "tsup";
import { tsupBase } from "../../tooling/tsup.base.ts";

export default defineConfig(tsupBase({ index: "src/index.ts", cli: "src/cli.ts" }));
