import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("recall config", () => {
  it("resolves a relative onnx_model_dir against the workspace, not the process's directory", () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-cfg-"));
    mkdirSync(join(ws, ".ostk"));
    writeFileSync(
      join(ws, ".ostk", "config.toml"),
      '[recall]\nembedder = "onnx"\nonnx_model_dir = "models/tiny"\n',
    );
    const { config, warnings } = loadConfig(ws);
    expect(warnings).toEqual([]);
    expect(config.embedder).toBe("onnx");
    expect(config.onnxModelDir).toBe(join(ws, "models", "tiny"));
  });

  it("keeps an absolute onnx_model_dir as given", () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-cfg-"));
    expect(loadConfig(ws, { onnxModelDir: "/opt/models/e5" }).config.onnxModelDir).toBe("/opt/models/e5");
  });
});
