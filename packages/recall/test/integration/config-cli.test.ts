import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const ws = mkdtempSync(join(tmpdir(), "recall-cfg-cli-"));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe("ostk-recall with a bad [recall] config", () => {
  it("refuses to run, exits non-zero, names the key, value, expectation and file, and touches no index", async () => {
    mkdirSync(join(ws, ".ostk"));
    const file = join(ws, ".ostk", "config.toml");
    writeFileSync(file, '[recall]\nembedder = "bert"\nmax_wait = 10\n');
    const r = await runCli(["scan"], ws);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("invalid recall configuration:");
    expect(r.stderr).toContain(
      `recall.embedder: must be one of "static", "hash", "onnx", got "bert" (in ${file})`,
    );
    expect(r.stderr).toContain(`recall.max_wait: unknown setting (did you mean max_wait_ms?) (in ${file})`);
    expect(existsSync(join(ws, ".ostk", "recall"))).toBe(false);
    expect(readdirSync(join(ws, ".ostk"))).toEqual(["config.toml"]);
  });

  it("`ostk-recall config` exits 2 on the same problems, and lists each setting's source once fixed", async () => {
    const file = join(ws, ".ostk", "config.toml");
    const bad = await runCli(["config"], ws);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `recall.embedder: must be one of "static", "hash", "onnx", got "bert" (in ${file})`,
    );
    writeFileSync(file, '[recall]\nembedder = "hash"\n');
    const ok = await runCli(["config", "--json"], ws);
    expect(ok.code).toBe(0);
    const rows = JSON.parse(ok.stdout) as { key: string; value: unknown; from: string }[];
    expect(rows).toContainEqual({ key: "recall.embedder", value: "hash", from: file });
    expect(rows).toContainEqual({ key: "recall.debounce_ms", value: 300, from: "default" });
    expect(rows).toContainEqual({ key: "recall.onnx_model_dir", value: null, from: "default" });
  });
});
