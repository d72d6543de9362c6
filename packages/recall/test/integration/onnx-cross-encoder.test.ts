import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openRecall } from "../../src/index.js";
import { OnnxCrossEncoder } from "../../src/query/cross-encoder.js";
import { search } from "../../src/query/search.js";
import { writeTinyCrossEncoder } from "../fixtures-gen/tiny-onnx-model.js";
import { CLI } from "../helpers/cli.js";
import { makeWorkspace } from "../helpers/workspace.js";

const run = promisify(execFile);

/** Two files the linear reranker orders one way for "retry with backoff"; the test model prefers the other. */
const FILES: Record<string, string> = {
  "src/retry.ts": `/** Retry with backoff: call fn again after a delay when it throws. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i + 1 >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 2 ** i * 100));
    }
  }
}
`,
  "src/jitter.ts": `/** Spread reconnects: a random delay so that clients do not retry in lockstep. */
export function jitteredDelay(base: number): number {
  return base / 2 + Math.random() * base;
}
`,
  "src/parse.ts": `export function parseHeader(line: string): string[] {
  return line.split(":");
}
`,
};

function configure(dir: string, settings: string): void {
  mkdirSync(join(dir, ".ostk"), { recursive: true });
  writeFileSync(join(dir, ".ostk", "config.toml"), `[recall]\n${settings}\n`);
}

function workspace(settings?: string) {
  const ws = makeWorkspace(FILES);
  if (settings) configure(ws.dir, settings);
  return ws;
}

describe("ONNX cross-encoder with a tiny model written by the test (no network)", () => {
  let tmp: string;
  let modelDir: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "recall-ce-"));
    modelDir = join(tmp, "tiny-reranker");
    // relevance = the summed weights of the pair's words: "jitter" decides, "parse" counts against
    writeTinyCrossEncoder(modelDir, { jitter: 3, jittereddelay: 3, random: 1, parse: -2, retry: 0.5 });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("scores (query, passage) pairs with the model's logit, batched or not, without fetching", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const ce = await OnnxCrossEncoder.load(modelDir);
      expect(ce.description).toMatch(/^onnx cross-encoder \(.*tiny-reranker.*model\.onnx, fp32\)$/);
      const [a, b, c] = await ce.score("retry", ["jitter random", "retry", "parse parse"]);
      // the query's own words count in every pair: 0.5 for "retry"
      expect(a).toBeCloseTo(0.5 + 3 + 1, 5);
      expect(b).toBeCloseTo(0.5 + 0.5, 5);
      expect(c).toBeCloseTo(0.5 - 4, 5);
      // 40 passages of mixed lengths go in padded batches: each keeps its own score
      const many = Array.from({ length: 40 }, (_, i) =>
        i % 2 ? "jitter" : "parse a much longer passage here",
      );
      const s = await ce.score("retry", many);
      for (let i = 0; i < 40; i++) expect(s[i]).toBeCloseTo(i % 2 ? 3.5 : -1.5, 5);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("reads a two-label classifier as the relevant label's margin", async () => {
    const dir = join(tmp, "two-labels", "tiny-reranker");
    writeTinyCrossEncoder(dir, { jitter: 3, parse: -2 }, 2);
    const ce = await OnnxCrossEncoder.load(dir);
    const [a, b] = await ce.score("x", ["jitter", "parse"]);
    expect(a).toBeCloseTo(3, 5);
    expect(b).toBeCloseTo(-2, 5);
  });

  it("refuses a folder whose model is not a classifier, and says what it outputs", async () => {
    const { writeTinyOnnxModel } = await import("../fixtures-gen/tiny-onnx-model.js");
    const dir = join(tmp, "embedder-not-reranker");
    writeTinyOnnxModel(dir, 8);
    await expect(OnnxCrossEncoder.load(dir)).rejects.toThrow(
      /^onnx cross-encoder \(.*embedder-not-reranker.*\) outputs no logits; expected logits \[batch, 1\] or \[batch, 2\]/,
    );
  });

  it("re-orders the linear reranker's top hits in a workspace configured for it", async () => {
    // the same files and query without the cross-encoder: the linear order puts retry.ts first
    const plain = workspace();
    const linear = await openRecall({ workspace: plain.dir });
    let before: string[];
    try {
      await linear.scan();
      const r = await linear.search("retry with backoff delay");
      before = r.hits.map((h) => h.path);
      expect(before[0]).toBe("src/retry.ts");
      expect(before).toContain("src/jitter.ts");
      expect(r.hits.every((h) => h.crossScore === undefined)).toBe(true);
      expect((await linear.status()).reranker.description).toMatch(/^linear \(\d+ features/);
    } finally {
      await linear.close();
      plain.cleanup();
    }

    const ws = workspace(
      `reranker = "onnx"\nonnx_reranker_dir = ${JSON.stringify(modelDir)}\nrerank_top = 5`,
    );
    const recall = await openRecall({ workspace: ws.dir });
    try {
      await recall.scan();
      const st = await recall.status();
      expect(st.reranker.description).toMatch(/then onnx cross-encoder \(.*tiny-reranker.* on the top 5$/);
      const r = await recall.search("retry with backoff delay");
      expect(r.warnings).toBeUndefined();
      expect(r.hits[0].path).toBe("src/jitter.ts");
      expect(new Set(r.hits.map((h) => h.path))).toEqual(new Set(before));
      // hits come in the cross-encoder's order, each with its score
      const scores = r.hits.map((h) => h.crossScore as number);
      expect(scores.every((s) => typeof s === "number")).toBe(true);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // --limit below rerank_top still sees the re-ordered head
      expect((await recall.search("retry with backoff delay", { limit: 1 })).hits[0].path).toBe(
        "src/jitter.ts",
      );

      const { stdout } = await run(process.execPath, [CLI, "status"], { cwd: ws.dir });
      expect(stdout).toMatch(/^reranker {4}linear .*then onnx cross-encoder/m);
      const found = await run(process.execPath, [CLI, "search", "retry with backoff delay"], { cwd: ws.dir });
      expect(found.stdout).toMatch(/^1\. src\/jitter\.ts:\d+-\d+ .*\[[\d.-]+ ce [\d.-]+ /m);
    } finally {
      await recall.close();
      ws.cleanup();
    }
  });

  it("falls back to the linear reranker, and says why, when the folder cannot be loaded", async () => {
    const ws = workspace(`reranker = "onnx"\nonnx_reranker_dir = "models/missing"`);
    const recall = await openRecall({ workspace: ws.dir });
    try {
      const st = await recall.status();
      expect(st.reranker.description).toMatch(
        /^linear .* — fallback: onnx requested but onnx reranker not configured: .*models\/missing has no config\.json/,
      );
      await recall.scan();
      expect((await recall.search("retry with backoff")).hits[0].path).toBe("src/retry.ts");
    } finally {
      await recall.close();
      ws.cleanup();
    }
  });

  it("answers in the linear order, with a warning, when the cross-encoder fails at query time", async () => {
    const ws = workspace();
    const recall = await openRecall({ workspace: ws.dir });
    try {
      await recall.scan();
      const failing = {
        id: "failing",
        description: "fails",
        score: () => Promise.reject(new Error("onnxruntime: out of memory")),
      };
      const r = await search(recall.store, recall.vectors, recall.embedder, "retry with backoff delay", {
        crossEncoder: failing,
      });
      expect(r.hits[0].path).toBe("src/retry.ts");
      expect(r.warnings).toEqual([
        "cross-encoder failed, hits are in the linear reranker's order: onnxruntime: out of memory",
      ]);
    } finally {
      await recall.close();
      ws.cleanup();
    }
  });
});
