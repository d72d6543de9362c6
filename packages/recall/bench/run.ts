/**
 * `pnpm --filter @ostk/recall bench`
 *  1. retrieval quality on real npm code with README-derived queries: BM25 alone (the anchor) vs the full pipeline;
 *  2. query latency at 100,000 chunks (p50/p95), BM25 lane alone as the anchor;
 *  3. indexing throughput, cold and incremental.
 * Prints a table, then one JSON line. Env: BENCH_CHUNKS (default 100000), BENCH_SKIP_LATENCY=1.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Chunk } from "../src/chunk/types.js";
import { type LabelledQuery, reciprocalRank, score } from "../src/commands/eval.js";
import { embedText } from "../src/embed/embedder.js";
import type { Hit } from "../src/query/search.js";
import { openRecall, type Recall } from "../src/recall.js";
import { BENCH_PACKAGES, buildBenchWorkspace, fetchPackages } from "./corpus.js";

process.env.LANCEDB_LOG ??= "error";
const log = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

type Variant = { name: string; lanes?: ("bm25" | "vector")[]; rerank: boolean; allTerms?: boolean };
const VARIANTS: Variant[] = [
  { name: "bm25", lanes: ["bm25"], rerank: false },
  { name: "bm25 (all query terms)", lanes: ["bm25"], rerank: false, allTerms: true },
  { name: "vector", lanes: ["vector"], rerank: false },
  { name: "bm25+vector (rrf)", rerank: false },
  { name: "bm25+rerank", lanes: ["bm25"], rerank: true },
  { name: "full (rrf+rerank)", rerank: true },
];

/** Hits of every variant for every query (searched once; the test half is read from the same results). */
async function searchAll(recall: Recall, queries: LabelledQuery[]): Promise<Record<string, Hit[][]>> {
  const out: Record<string, Hit[][]> = {};
  for (const v of VARIANTS) {
    const res: Hit[][] = [];
    for (const q of queries)
      res.push(
        (
          await recall.search(q.query, {
            limit: 10,
            lanes: v.lanes,
            rerank: v.rerank,
            maxQueryTerms: v.allTerms ? 64 : undefined,
          })
        ).hits,
      );
    out[v.name] = res;
  }
  return out;
}

const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/**
 * 95 % interval of the MRR@10 ratio a / b over the queries, by paired bootstrap (queries drawn with
 * replacement, 2,000 draws, fixed seed): how much of a ratio is the luck of this query sample.
 */
function ratioInterval(a: number[], b: number[]): [number, number] {
  let seed = 20261122;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ratios: number[] = [];
  for (let draw = 0; draw < 2000; draw++) {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < a.length; i++) {
      const j = Math.floor(rand() * a.length);
      sa += a[j];
      sb += b[j];
    }
    ratios.push(sa / Math.max(1e-9, sb));
  }
  return [pct(ratios, 2.5), pct(ratios, 97.5)];
}

async function main(): Promise<void> {
  const t0 = performance.now();
  // ---- latency is measured at N chunks (unset or empty: 100,000)
  const N = Number(process.env.BENCH_CHUNKS || 100_000);
  if (!Number.isInteger(N) || N <= 0)
    throw new Error(`BENCH_CHUNKS must be a positive integer, got "${process.env.BENCH_CHUNKS}"`);
  log(`fetching ${BENCH_PACKAGES.join(", ")} (npm pack, cached)…`);
  const root = mkdtempSync(join(tmpdir(), "recall-bench-"));
  const { ws, queries } = buildBenchWorkspace(root);
  const dev = queries.filter((_, i) => i % 2 === 0);
  const test = queries.filter((_, i) => i % 2 === 1);

  // ---- indexing throughput (cold, then incremental) and quality
  const recall = await openRecall({ workspace: ws });
  const cold = await recall.scan();
  const chunks = recall.store.counts().chunks;
  const files = [...recall.store.allFiles().keys()].filter((_, i) => i % 20 === 0);
  for (const f of files)
    writeFileSync(
      join(ws, f),
      `${readFileSync(join(ws, f), "utf8")}\n// touched by the benchmark\nexport const benchTouched = 1;\n`,
    );
  const inc = await recall.scan();
  const status = await recall.status();
  log(
    `indexed ${cold.files} files, ${chunks} chunks; ${queries.length} queries (${dev.length} dev / ${test.length} test)`,
  );
  const hitsAll = await searchAll(recall, queries);
  await recall.close();
  const odd = <T>(xs: T[]) => xs.filter((_, i) => i % 2 === 1);
  const qualityAll = mapValues(hitsAll, (h) => score(h, queries, 10));
  const qualityTest = mapValues(hitsAll, (h) => score(odd(h), test, 10));
  const rrAll = mapValues(hitsAll, (h) => h.map((hits, i) => reciprocalRank(hits, queries[i])));
  const interval = ratioInterval(rrAll["full (rrf+rerank)"], rrAll.bm25).map(r3);
  const intervalTest = ratioInterval(odd(rrAll["full (rrf+rerank)"]), odd(rrAll.bm25)).map(r3);

  // ---- latency at N chunks
  let latency: Record<string, unknown> | null = null;
  if (!process.env.BENCH_SKIP_LATENCY) latency = await latencyBench(root, N, queries);

  const quality = Object.fromEntries(
    Object.entries(qualityAll).map(([k, v]) => [
      k,
      {
        mrr10: r3(v.mrr10),
        recall10: r3(v.recallAtK),
        testMrr10: r3(qualityTest[k].mrr10),
        testRecall10: r3(qualityTest[k].recallAtK),
      },
    ]),
  );
  const ratio = qualityAll["full (rrf+rerank)"].mrr10 / Math.max(1e-9, qualityAll.bm25.mrr10);
  const ratioAll =
    qualityAll["full (rrf+rerank)"].mrr10 / Math.max(1e-9, qualityAll["bm25 (all query terms)"].mrr10);
  const ratioTest = qualityTest["full (rrf+rerank)"].mrr10 / Math.max(1e-9, qualityTest.bm25.mrr10);
  const result = {
    corpus: { packages: BENCH_PACKAGES, files: cold.files, chunks, queries: queries.length },
    embedder: status.embedder.description,
    reranker: status.reranker.description,
    quality,
    fullOverBm25Mrr: r3(ratio),
    fullOverBm25MrrTestHalf: r3(ratioTest),
    fullOverBm25Mrr95: interval,
    fullOverBm25MrrTestHalf95: intervalTest,
    fullOverUnprunedBm25Mrr: r3(ratioAll),
    indexing: {
      coldChunksPerSec: Math.round((cold.chunksAdded / cold.ms) * 1000),
      coldMs: cold.ms,
      incrementalFiles: inc.changedFiles,
      incrementalChunks: inc.chunksAdded,
      incrementalMs: inc.ms,
      incrementalChunksPerSec: Math.round((inc.chunksAdded / Math.max(1, inc.ms)) * 1000),
    },
    latency,
    machine: {
      cpus: cpus().length,
      loadAvg1mAtEnd: Math.round(loadavg()[0] * 10) / 10,
      node: process.version,
    },
    totalSec: Math.round((performance.now() - t0) / 1000),
  };

  const rows = [["pipeline", "MRR@10", "Recall@10", "MRR@10 (test half)", "Recall@10 (test half)"]];
  for (const [k, v] of Object.entries(quality))
    rows.push([k, String(v.mrr10), String(v.recall10), String(v.testMrr10), String(v.testRecall10)]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join("  ");
  let out = `\nRetrieval quality — ${queries.length} README-derived queries over ${chunks} chunks of ${BENCH_PACKAGES.join(", ")}\n`;
  out += `embedder: ${status.embedder.description}\nreranker: ${status.reranker.description}\n${fmt(rows[0])}\n${rows.slice(1).map(fmt).join("\n")}\n`;
  out += `full / bm25 MRR@10 = ${r3(ratio)}× (test half ${r3(ratioTest)}×; vs BM25 with all query terms ${r3(ratioAll)}×) — target ≥ 1.15×\n`;
  out += `  95 % bootstrap interval over the queries: ${interval.join("–")}× (test half ${intervalTest.join("–")}×)\n\n`;
  out += `Indexing: cold ${result.indexing.coldChunksPerSec} chunks/s (${chunks} chunks in ${cold.ms} ms); incremental ${inc.changedFiles} files / ${inc.chunksAdded} chunks in ${inc.ms} ms\n`;
  if (latency) out += `Latency at ${N} chunks: ${JSON.stringify(latency)}\n`;
  out += `Machine: ${result.machine.cpus} CPUs, 1-min load average at the end ${result.machine.loadAvg1mAtEnd} (latency is sensitive to other load)\n`;
  process.stdout.write(`${out}\n${JSON.stringify(result)}\n`);
  rmSync(root, { recursive: true, force: true });
}

/**
 * Latency corpus: the source of the benchmark packages plus the (cached) training-corpus packages —
 * diverse real code — scanned normally (cold throughput at scale), then replicated under distinct
 * paths (each copy with a unique token) up to N chunks; HNSW index built; every query timed.
 */
async function latencyBench(
  root: string,
  N: number,
  queries: LabelledQuery[],
): Promise<Record<string, unknown>> {
  const corpus = JSON.parse(readFileSync(new URL("../training/corpus.json", import.meta.url), "utf8")) as {
    readme: string[];
    jsdoc: { spec: string; dirs: string[] }[];
  };
  const specs = [...corpus.readme.map((s) => ({ spec: s, dirs: ["src"] })), ...corpus.jsdoc];
  const dirs = fetchPackages(specs.map((s) => s.spec));
  const ws = join(root, "big-ws");
  for (const { spec, dirs: sub } of specs) {
    const name = spec.slice(0, spec.lastIndexOf("@"));
    const src = dirs.get(name) as string;
    for (const d of sub)
      if (existsSync(join(src, d)))
        cpSync(join(src, d), join(ws, name.replace("/", "_"), d), { recursive: true });
  }
  const recall = await openRecall({ workspace: ws, dataDir: join(root, "big") });
  log("latency corpus: cold scan of the training-corpus packages…");
  const cold = await recall.scan();
  const base = [...recall.store.chunksByIds(recall.store.allChunkIds()).values()];
  const tFill = performance.now();
  const batch: Chunk[] = [];
  let n = base.length;
  for (let copy = 1; n < N; copy++) {
    for (const c of base) {
      if (n >= N) break;
      batch.push({
        id: `${c.id.slice(0, 16)}${copy.toString(16).padStart(8, "0")}`,
        source: "bench",
        path: `copy${copy}/${c.path}`,
        startLine: c.start_line,
        endLine: c.end_line,
        symbol: c.symbol,
        kind: c.kind,
        lang: c.lang,
        text: `${c.text}\n// replica ${copy} token${(copy * 7919 + n) % 100003}`,
      });
      n++;
      if (batch.length >= 5000) await flush(recall, batch.splice(0));
    }
  }
  await flush(recall, batch.splice(0));
  const fillMs = performance.now() - tFill;
  log(`${base.length} real chunks, replicated to ${n} in ${Math.round(fillMs)} ms; building HNSW index…`);
  const tIdx = performance.now();
  await recall.vectors.buildIndex();
  const indexMs = performance.now() - tIdx;
  const qs = queries.map((q) => q.query);
  for (const q of qs.slice(0, 20)) await recall.search(q); // warm-up
  const times: Record<string, number[]> = { bm25: [], vector: [], full: [] };
  for (const q of qs) {
    for (const [name, lanes, rerank] of [
      ["bm25", ["bm25"], false],
      ["vector", ["vector"], false],
      ["full", undefined, true],
    ] as const) {
      const t = performance.now();
      await recall.search(q, { lanes: lanes ? [...lanes] : undefined, rerank });
      times[name].push(performance.now() - t);
    }
  }
  await recall.close();
  const res: Record<string, unknown> = {
    chunks: n,
    realChunks: base.length,
    coldScan: {
      files: cold.files,
      chunks: cold.chunksAdded,
      ms: cold.ms,
      chunksPerSec: Math.round((cold.chunksAdded / cold.ms) * 1000),
    },
    fillChunksPerSec: Math.round(((n - base.length) / fillMs) * 1000),
    hnswBuildMs: Math.round(indexMs),
    queries: qs.length,
  };
  for (const [k, v] of Object.entries(times)) res[k] = { p50: r3(pct(v, 50)), p95: r3(pct(v, 95)) };
  return res;
}

async function flush(recall: Recall, chunks: Chunk[]): Promise<void> {
  recall.store.db.transaction(() => recall.store.insertChunks(chunks))();
  const vecs = await recall.embedder.embed(chunks.map(embedText));
  await recall.vectors.add(chunks.map((c, i) => ({ id: c.id, path: c.path, lang: c.lang, vector: vecs[i] })));
  recall.store.setVectors(chunks.map((c, i) => ({ id: c.id, vector: vecs[i] })));
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
