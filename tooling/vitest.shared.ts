import { fileURLToPath } from "node:url";
import { defineProject, type UserWorkspaceConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Workspace packages resolve to their TypeScript sources in tests, so no rebuild is needed between edits. */
export const sourceAliases = [
  { find: /^@ostk\/lib$/, replacement: `${root}packages/lib/src/index.ts` },
  { find: /^@ostk\/lib\/(.*)$/, replacement: `${root}packages/lib/src/$1.ts` },
  { find: /^@ostk\/kernel$/, replacement: `${root}packages/kernel/src/index.ts` },
  { find: /^@ostk\/recall$/, replacement: `${root}packages/recall/src/index.ts` },
  { find: /^@ostk\/cache\/testing$/, replacement: `${root}packages/cache/src/testing/index.ts` },
  { find: /^@ostk\/cache$/, replacement: `${root}packages/cache/src/index.ts` },
];

export function project(name: string, test: UserWorkspaceConfig["test"] = {}) {
  return defineProject({
    resolve: { alias: sourceAliases },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}
