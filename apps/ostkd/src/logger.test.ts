import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newTrace, registerSecret, withTrace } from "@ostk/lib";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

const dir = mkdtempSync(join(tmpdir(), "ostkd-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("createLogger", () => {
  it("masks secrets by key, by value shape and when registered, and stamps the trace id", async () => {
    const { logger, flush, destination } = createLogger({ level: "info", log: "ostkd.log", workspace: dir });
    registerSecret("my-registered-secret-value");
    const trace = newTrace();
    withTrace(trace, () => {
      logger.info({ headers: { authorization: "Bearer abc123456789" }, apiKey: "k-1234567890" }, "call");
      logger.warn({ note: "key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA in text" }, "oops");
      logger.error({}, "contains my-registered-secret-value");
    });
    flush();
    await new Promise((r) => setTimeout(r, 50));
    const text = readFileSync(destination, "utf8");
    expect(text).not.toContain("abc123456789");
    expect(text).not.toContain("k-1234567890");
    expect(text).not.toContain("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(text).not.toContain("my-registered-secret-value");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.trace_id).toBe(trace.traceId);
  });
});
