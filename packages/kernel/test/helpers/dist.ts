import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (tests that spawn the CLI use dist/; `pnpm --filter @ostk/kernel build` first). */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export function requireBuiltCli(): string {
  if (!fs.existsSync(CLI)) {
    throw new Error(
      `${path.relative(process.cwd(), CLI)} is missing: run \`pnpm --filter @ostk/kernel build\` first`,
    );
  }
  return CLI;
}
