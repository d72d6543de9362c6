import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OnnxEmbedder } from "../../src/embed/onnx-embedder.js";
import { openRecall, type Recall } from "../../src/index.js";
import { writeTinyOnnxModel } from "../fixtures-gen/tiny-onnx-model.js";
import { CLI } from "../helpers/cli.js";
import { makeWorkspace } from "../helpers/workspace.js";

const run = promisify(execFile);

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

function configure(dir: string, modelDir: string): void {
  mkdirSync(join(dir, ".ostk"), { recursive: true });
  writeFileSync(
    join(dir, ".ostk", "config.toml"),
    `[recall]\nembedder = "onnx"\nonnx_model_dir = ${JSON.stringify(modelDir)}\n`,
  );
}

describe("ONNX embedder with a tiny model written by the test (no network)", () => {
  let tmp: string;
  let modelDir: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "recall-onnx-"));
    modelDir = join(tmp, "tiny-embedder");
    writeTinyOnnxModel(modelDir, 16);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("loads the folder without fetching and embeds with the model's dimension", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const e = await OnnxEmbedder.load(modelDir);
      expect(e.dim).toBe(16);
      expect(e.description).toMatch(/^onnx \(.*tiny-embedder.*model\.onnx, fp32, 16 dims\)$/);
      const [a, a2, b, c, empty] = await e.embed([
        "parse HTTP header",
        "parse HTTP header",
        "parse header value",
        "cache evict least recently used",
        "",
      ]);
      expect(a).toHaveLength(16);
      expect(Array.from(a2)).toEqual(Array.from(a));
      expect(cos(a, a)).toBeCloseTo(1, 5);
      expect(cos(a, b)).toBeGreaterThan(cos(a, c) + 0.3);
      expect(cos(b, c)).toBeLessThan(cos(a, b));
      // A text with no tokens gives a zero vector, not NaNs.
      expect(empty.every((x) => x === 0)).toBe(true);
      // Batching pads shorter texts: that must not change their vectors.
      const many = Array.from({ length: 40 }, (_, i) =>
        i % 2 ? "parse HTTP header" : "server listen address port deployment binary cache",
      );
      const vs = await e.embed(many);
      expect(vs).toHaveLength(40);
      for (let i = 1; i < 40; i += 2) for (let k = 0; k < 16; k++) expect(vs[i][k]).toBeCloseTo(a[k], 5);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("gives a different id when the weights change, so the index re-embeds", async () => {
    const other = join(tmp, "other", "tiny-embedder");
    writeTinyOnnxModel(other, 16, ["[PAD]", "[UNK]", "parse", "http"], true);
    const [x, y] = await Promise.all([OnnxEmbedder.load(modelDir), OnnxEmbedder.load(other)]);
    expect(x.id).not.toBe(y.id);
    expect(y.description).toMatch(/tiny-embedder\/model\.onnx, fp32/);
    // Concurrent loads of two folders each get their own model.
    expect((await y.embed(["cache"]))[0].every((v) => v === 0)).toBe(false);
    expect(Array.from((await y.embed(["cache"]))[0])).toEqual(Array.from((await y.embed(["zzz"]))[0]));
  });

  it("says why and falls back when the folder is not a model", async () => {
    await expect(OnnxEmbedder.load(join(tmp, "missing"))).rejects.toThrow(
      /not configured: .*missing has no config\.json/,
    );
    const ws = makeWorkspace();
    configure(ws.dir, join(tmp, "missing"));
    const recall = await openRecall({ workspace: ws.dir });
    try {
      expect((await recall.status()).embedder.description).toMatch(
        /fallback: onnx requested but .*no config\.json/,
      );
    } finally {
      await recall.close();
      ws.cleanup();
    }
  });

  describe("as the configured embedder of a workspace", () => {
    let ws: ReturnType<typeof makeWorkspace>;
    let recall: Recall;
    beforeAll(async () => {
      ws = makeWorkspace();
      configure(ws.dir, modelDir);
      recall = await openRecall({ workspace: ws.dir });
    });
    afterAll(async () => {
      await recall?.close();
      ws?.cleanup();
    });

    it("scans and searches end to end, the vector lane alone finding the right file", async () => {
      await recall.scan();
      const st = await recall.status();
      expect(st.embedder.description).toMatch(/^onnx /);
      expect(st.embedder.dim).toBe(16);
      expect(st.chunks).toBeGreaterThan(0);
      expect(st.vectors).toBe(st.chunks);
      const vec = await recall.search("evict least recently used", { lanes: ["vector"] });
      expect(vec.hits[0].path).toBe("src/cache/lru.ts");
      expect(vec.hits[0].lanes).toEqual(["vector"]);
      const both = await recall.search("parse HTTP header");
      expect(both.hits[0].path).toBe("src/http/parse-header.ts");
      expect(both.hits[0].lanes).toContain("vector");
    });

    it("`ostk-recall status` names the ONNX embedder", async () => {
      const { stdout } = await run(process.execPath, [CLI, "status", "--json"], { cwd: ws.dir });
      const s = JSON.parse(stdout) as { embedder: { description: string; dim: number }; vectors: number };
      expect(s.embedder.description).toMatch(/^onnx \(.*tiny-embedder/);
      expect(s.embedder.dim).toBe(16);
      const text = await run(process.execPath, [CLI, "status"], { cwd: ws.dir });
      expect(text.stdout).toMatch(/^embedder {4}onnx \(/m);
    });
  });
});
