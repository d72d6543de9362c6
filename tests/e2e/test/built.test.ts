import { describe, expect, it } from "vitest";
import { builtAll } from "./helpers.js";

// The e2e suites skip themselves when the CLIs are not built; the README's test command builds first, so
// where CI runs a missing build is a failure rather than every scenario silently skipped.
describe("e2e prerequisites", () => {
  it.skipIf(!process.env.CI)("every CLI is built", () => {
    expect(builtAll, "run the build before the e2e tests (npm test does)").toBe(true);
  });
});
