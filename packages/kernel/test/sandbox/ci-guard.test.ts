import { describe, expect, it } from "vitest";
import { probeSandbox } from "../../src/sandbox/index.js";

// The sandbox suites skip themselves where the sandbox cannot run. Where CI runs (Linux with Landlock and a
// C compiler) that would hide every one of them, so there a missing sandbox is a failure.
describe("the sandbox is available where CI runs", () => {
  it.skipIf(!process.env.CI || process.platform !== "linux")("Landlock launcher probes as available", () => {
    const probe = probeSandbox({ refresh: true });
    expect(probe.available, probe.reason).toBe(true);
    expect(probe.landlockAbi).toBeGreaterThanOrEqual(1);
  });
});
