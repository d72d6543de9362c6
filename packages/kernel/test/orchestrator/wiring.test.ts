import { describe, expect, it } from "vitest";
import { kernelExtensions } from "../../src/daemon/extensions.js";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

describe("the daemon's own wiring serves what ostk run needs", () => {
  it("kernelExtensions includes agent/spawn, agent/event, exec and approvals/list", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({
      workspace: env.workspace,
      keyPath: env.keyPath,
      socketPath: false,
      extend: kernelExtensions,
    });
    try {
      const methods = await kernelExtensions(k);
      expect(Object.keys(methods)).toEqual(
        expect.arrayContaining(["agent/spawn", "agent/event", "exec", "approvals/list"]),
      );
      const r = (await k.call(
        "agent/spawn",
        { sha256: "a".repeat(64), name: "w" },
        { id: "agent:w", kind: "agent" },
      )) as { seq: number };
      expect(r.seq).toBeGreaterThan(0);
    } finally {
      await k.close();
    }
  });
});
