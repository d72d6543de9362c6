import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "./config.js";

function workspace(toml?: string): { ws: string; file: string } {
  const ws = mkdtempSync(join(tmpdir(), "recall-cfg-"));
  const file = join(ws, ".ostk", "config.toml");
  if (toml !== undefined) {
    mkdirSync(join(ws, ".ostk"));
    writeFileSync(file, toml);
  }
  return { ws, file };
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("recall config", () => {
  it("resolves a relative onnx_model_dir against the workspace, not the process's directory", () => {
    const { ws } = workspace('[recall]\nembedder = "onnx"\nonnx_model_dir = "models/tiny"\n');
    const { config, warnings } = loadConfig(ws, {}, {});
    expect(warnings).toEqual([]);
    expect(config.embedder).toBe("onnx");
    expect(config.onnxModelDir).toBe(join(ws, "models", "tiny"));
  });

  it("keeps an absolute onnx_model_dir as given", () => {
    const { ws } = workspace();
    expect(loadConfig(ws, { onnxModelDir: "/opt/models/e5" }, {}).config.onnxModelDir).toBe("/opt/models/e5");
  });

  it("defaults < [recall] in .ostk/config.toml < OSTK_RECALL_* env < overrides, with provenance", () => {
    const { ws, file } = workspace(
      '[recall]\ndebounce_ms = 100\nembedder = "hash"\nignore = ["*.log"]\n[cache]\nport = 1\n',
    );
    expect(loadConfig(workspace().ws, {}, {}).config).toEqual(DEFAULT_CONFIG);
    const r = loadConfig(ws, { debounceMs: 50 }, { OSTK_RECALL_EMBEDDER: "static" });
    expect(r.config).toMatchObject({ debounceMs: 50, embedder: "static", ignore: ["*.log"], maxWaitMs: 800 });
    expect(r.provenance).toMatchObject({
      debounceMs: { kind: "option", name: "debounceMs" },
      embedder: { kind: "env", name: "OSTK_RECALL_EMBEDDER" },
      ignore: { kind: "file", file },
      maxWaitMs: { kind: "default" },
    });
  });

  it("bad values are errors (they were warnings, and recall ran on the defaults)", () => {
    const { ws, file } = workspace('[recall]\ndebounce_ms = -5\nfollow_kernel = "yes"\ndebunce = 1\n');
    const err = thrown(() => loadConfig(ws, {}, { OSTK_RECALL_EMBEDDER: "bert" }));
    expect(err.lines).toEqual([
      `recall.debounce_ms: must be an integer >= 0, got -5 (in ${file})`,
      `recall.follow_kernel: must be true or false, got "yes" (in ${file})`,
      `recall.debunce: unknown setting (did you mean debounce_ms?) (in ${file})`,
      'recall.embedder: must be one of "static", "hash", "onnx", got "bert" (env OSTK_RECALL_EMBEDDER)',
    ]);
    expect(err.message).toMatch(/^invalid recall configuration:/);
  });

  it("a config file that is not valid TOML is an error, not a silent fall-back to the defaults", () => {
    const { ws, file } = workspace("[recall\n");
    expect(thrown(() => loadConfig(ws, {}, {})).lines).toEqual([
      expect.stringMatching(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid TOML \\(line 1,`),
      ),
    ]);
  });
});
