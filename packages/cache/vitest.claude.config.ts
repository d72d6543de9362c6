// The opt-in Claude Code test (`pnpm --filter @ostk/cache test:claude`); the default run never loads it.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sourceAliases } from "../../tooling/vitest.shared.ts";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    name: "cache-claude-code",
    include: ["test/claude-code/**/*.claude.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
