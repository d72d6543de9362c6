import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtAll, tempRoot, unpackLayers, useFakeUpstream } from "./helpers.js";
import { runScenario } from "./scenario.js";
import { startOstkd, startStandalone } from "./stacks.js";

describe.skipIf(!builtAll)("end to end", () => {
  const root = tempRoot();
  const up = useFakeUpstream(root);

  it("ostkd: MCP edit → signed journal → recall → cache invalidation → audit tail → ledger", async () => {
    const stack = await startOstkd(root.workspace("full"), up.fake.url, root.env);
    try {
      const figures = await runScenario(stack, up.fake, root.env, root.keyDir);
      console.log(`[e2e] ostkd figures ${JSON.stringify(figures)}`);
    } finally {
      expect(await stack.stop()).toEqual([0]);
    }
  }, 90_000);

  it("each layer alone, from packed tarballs: the same scenario", async () => {
    const roots = unpackLayers(join(root.dir, "packed"));
    const stack = await startStandalone(root.workspace("standalone"), up.fake.url, root.env, roots);
    try {
      expect(stack.kernelCli.startsWith(join(root.dir, "packed"))).toBe(true);
      const figures = await runScenario(stack, up.fake, root.env, root.keyDir);
      console.log(`[e2e] standalone figures ${JSON.stringify(figures)}`);
    } finally {
      const codes = await stack.stop();
      expect(
        codes.every((c) => c === 0 || c === null),
        `exit codes ${codes}`,
      ).toBe(true);
    }
  }, 120_000);
});
