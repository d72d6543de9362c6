/**
 * Trains the static token-embedding table shipped as assets/static-embedder.bin.gz.
 *
 *   pnpm --filter @ostk/recall exec tsx training/train.ts [--dim 128] [--vocab 24000]
 *
 * 1. Fetch the packages of training/corpus.json with `npm pack` (cached) and extract
 *    (documentation, code) pairs: d3-style README sections → their source file, JSDoc → the code it documents.
 * 2. Count, per pair, which documentation terms co-occur with which code terms (terms = split,
 *    stemmed identifiers, the same normalisation the index uses) and weight them by positive PMI.
 * 3. Symmetrise that doc↔code association matrix and keep its top eigenvectors (randomised subspace
 *    iteration): rows are term vectors whose dot products approximate the learned association, so a
 *    documentation-style query lands near the code it describes.
 * 4. Quantise to int8 and write the asset with the vocabulary and IDF weights; evaluate doc→code
 *    retrieval on held-out pairs against the weight-free hash embedder; write training/report.json.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { fetchPackages } from "../bench/corpus.js";
import type { Embedder } from "../src/embed/embedder.js";
import { fnv1a } from "../src/embed/embedder.js";
import { HashEmbedder } from "../src/embed/hash-embedder.js";
import { StaticEmbedder } from "../src/embed/static-embedder.js";
import { normTerms } from "../src/tokenize.js";
import { jsdocPairs, type Pair, readmePairs } from "./pairs.js";

const args = process.argv.slice(2);
const flag = (n: string, d: number) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const DIM = flag("dim", 128);
const VOCAB = flag("vocab", 24000);
const BUCKETS = 2048;
const log = (s: string) => process.stderr.write(`${s}\n`);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Corpus {
  exclude: string[];
  readme: string[];
  jsdoc: { spec: string; dirs: string[] }[];
}

function loadPairs(): { pairs: Pair[]; lock: Record<string, string> } {
  const corpus = JSON.parse(await_read(here("./corpus.json"))) as Corpus;
  const specs = [...corpus.readme, ...corpus.jsdoc.map((j) => j.spec)];
  for (const s of specs)
    if (corpus.exclude.includes(s.slice(0, s.lastIndexOf("@"))))
      throw new Error(`${s} is a benchmark package; it must stay out of training`);
  const dirs = fetchPackages(specs);
  const pairs: Pair[] = [];
  const lock: Record<string, string> = {};
  for (const [name, dir] of dirs) {
    lock[name] = (JSON.parse(await_read(`${dir}/package.json`)) as { version: string }).version;
    const j = corpus.jsdoc.find((x) => x.spec.startsWith(`${name}@`));
    const got = j ? jsdocPairs(name, dir, j.dirs) : readmePairs(name, dir);
    log(`  ${name}@${lock[name]}: ${got.length} pairs`);
    pairs.push(...got);
  }
  return { pairs, lock };
}

function await_read(p: string): string {
  return require_fs().readFileSync(p, "utf8");
}
function require_fs(): typeof import("node:fs") {
  return fs;
}

import * as fs from "node:fs";

/** Symmetric sparse matrix in CSR form. */
interface Csr {
  n: number;
  rowPtr: Int32Array;
  col: Int32Array;
  val: Float32Array;
}

function buildAssociation(train: Pair[]): { vocab: string[]; idf: Float32Array; S: Csr; assoc: number[][] } {
  const dfDoc = new Map<string, number>();
  const dfCode = new Map<string, number>();
  const docSets: string[][] = [];
  const codeSets: string[][] = [];
  for (const p of train) {
    const d = [...new Set(normTerms(p.doc))];
    const c = [...new Set(normTerms(p.code))];
    docSets.push(d);
    codeSets.push(c);
    for (const t of d) dfDoc.set(t, (dfDoc.get(t) ?? 0) + 1);
    for (const t of c) dfCode.set(t, (dfCode.get(t) ?? 0) + 1);
  }
  const total = new Map<string, number>();
  for (const [t, n] of dfDoc) total.set(t, (total.get(t) ?? 0) + n);
  for (const [t, n] of dfCode) total.set(t, (total.get(t) ?? 0) + n);
  const vocab = [...total.entries()]
    .filter(([t, n]) => n >= 3 && t.length >= 2 && !/^[0-9]+$/.test(t))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, VOCAB)
    .map(([t]) => t);
  const index = new Map(vocab.map((t, i) => [t, i]));
  const N = train.length;
  const co = new Map<number, number>();
  for (let k = 0; k < N; k++) {
    const d = docSets[k].map((t) => index.get(t)).filter((x): x is number => x !== undefined);
    const c = codeSets[k].map((t) => index.get(t)).filter((x): x is number => x !== undefined);
    for (const a of d)
      for (const b of c) co.set(a * vocab.length + b, (co.get(a * vocab.length + b) ?? 0) + 1);
  }
  // positive PMI with context smoothing (code df^0.75), entries seen at least twice
  const entries: [number, number, number][] = [];
  const directed: [number, number][][] = vocab.map(() => []);
  const V = vocab.length;
  let codeMass = 0;
  for (const t of vocab) codeMass += (dfCode.get(t) ?? 0) ** 0.75;
  for (const [key, n] of co) {
    if (n < 2) continue;
    const a = Math.floor(key / V);
    const b = key % V;
    const pd = (dfDoc.get(vocab[a]) ?? 1) / N;
    const pc = (dfCode.get(vocab[b]) ?? 1) ** 0.75 / codeMass;
    const pmi = Math.log(n / N / (pd * pc));
    if (pmi > 0) {
      directed[a].push([b, pmi]);
      entries.push([a, b, pmi]);
      entries.push([b, a, pmi]);
    }
  }
  // sum duplicates (a,b) and (b,a) from both directions, then CSR
  entries.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const rowPtr = new Int32Array(V + 1);
  const col: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const [a, b, v] = entries[i];
    if (col.length && i > 0 && entries[i - 1][0] === a && entries[i - 1][1] === b) val[val.length - 1] += v;
    else {
      col.push(b);
      val.push(v);
      rowPtr[a + 1]++;
    }
  }
  for (let i = 0; i < V; i++) rowPtr[i + 1] += rowPtr[i];
  const idf = new Float32Array(V);
  for (let i = 0; i < V; i++)
    idf[i] = Math.log(1 + (2 * N) / (1 + (dfDoc.get(vocab[i]) ?? 0) + (dfCode.get(vocab[i]) ?? 0)));
  log(`  vocabulary ${V} terms, ${col.length} association entries from ${N} pairs`);
  // doc term → its 40 strongest code terms (flattened [codeTerm, pmi×100, …]) for the reranker's translation feature
  const assoc = directed.map((list) =>
    list
      .sort((x, y) => y[1] - x[1])
      .slice(0, 40)
      .flatMap(([b, v]) => [b, Math.round(v * 100)]),
  );
  return { vocab, idf, S: { n: V, rowPtr, col: Int32Array.from(col), val: Float32Array.from(val) }, assoc };
}

/** Y = S·X for X (n×k, row-major). */
function spmm(S: Csr, X: Float64Array, k: number): Float64Array {
  const Y = new Float64Array(S.n * k);
  for (let i = 0; i < S.n; i++) {
    for (let p = S.rowPtr[i]; p < S.rowPtr[i + 1]; p++) {
      const j = S.col[p];
      const v = S.val[p];
      const xo = j * k;
      const yo = i * k;
      for (let c = 0; c < k; c++) Y[yo + c] += v * X[xo + c];
    }
  }
  return Y;
}

/** Orthonormalise the columns of X (n×k) in place, modified Gram-Schmidt. */
function orthonormalize(X: Float64Array, n: number, k: number): void {
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += X[i * k + c] * X[i * k + p];
      for (let i = 0; i < n; i++) X[i * k + c] -= dot * X[i * k + p];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += X[i * k + c] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) X[i * k + c] /= norm;
  }
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi). Returns [values, vectors (columns)]. */
function jacobi(A: Float64Array, k: number): [Float64Array, Float64Array] {
  const a = Float64Array.from(A);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q] ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (Math.abs(apq) < 1e-15) continue;
        const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const vals = new Float64Array(k);
  for (let i = 0; i < k; i++) vals[i] = a[i * k + i];
  return [vals, v];
}

/** Top-DIM eigenpairs of S by randomised subspace iteration; rows scaled by sqrt(positive eigenvalue). */
function embedTerms(S: Csr): Float64Array {
  const k = Math.min(DIM + 16, S.n);
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296 - 0.5;
  };
  let Q = new Float64Array(S.n * k);
  for (let i = 0; i < Q.length; i++) Q[i] = rnd();
  orthonormalize(Q, S.n, k);
  for (let it = 0; it < 6; it++) {
    Q = spmm(S, Q, k);
    orthonormalize(Q, S.n, k);
    log(`  subspace iteration ${it + 1}/6`);
  }
  const SQ = spmm(S, Q, k);
  const B = new Float64Array(k * k);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let i = 0; i < S.n; i++) s += Q[i * k + a] * SQ[i * k + b];
      B[a * k + b] = s;
    }
  const [vals, vecs] = jacobi(B, k);
  const order = [...vals.keys()].sort((x, y) => vals[y] - vals[x]).slice(0, DIM);
  const E = new Float64Array(S.n * DIM);
  for (let i = 0; i < S.n; i++)
    for (let d = 0; d < DIM; d++) {
      const e = order[d];
      const scale = Math.sqrt(Math.max(0, vals[e]));
      let s = 0;
      for (let a = 0; a < k; a++) s += Q[i * k + a] * vecs[a * k + e];
      E[i * DIM + d] = s * scale;
    }
  log(
    `  top eigenvalues ${order
      .slice(0, 5)
      .map((e) => vals[e].toFixed(1))
      .join(", ")} … ${vals[order[DIM - 1]].toFixed(2)}`,
  );
  return E;
}

function writeAsset(
  vocab: string[],
  idf: Float32Array,
  E: Float64Array,
  version: string,
  assoc: number[][],
): Buffer {
  const V = vocab.length;
  // normalise each term row to unit length times a damped norm, so frequent terms don't dominate
  const table = new Int8Array((V + BUCKETS) * DIM);
  let maxAbs = 0;
  const rows = new Float64Array(V * DIM);
  for (let i = 0; i < V; i++) {
    let n = 0;
    for (let d = 0; d < DIM; d++) n += E[i * DIM + d] ** 2;
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < DIM; d++) {
      rows[i * DIM + d] = E[i * DIM + d] / n;
      maxAbs = Math.max(maxAbs, Math.abs(rows[i * DIM + d]));
    }
  }
  for (let i = 0; i < V * DIM; i++) table[i] = Math.round((rows[i] / maxAbs) * 127);
  // out-of-vocabulary buckets: fixed pseudo-random rows (exact-match features, like the hash embedder)
  for (let b = 0; b < BUCKETS; b++)
    for (let d = 0; d < DIM; d++) {
      const h = fnv1a(`bucket${b}:${d}`);
      table[(V + b) * DIM + d] = (h % 255) - 127 > 0 ? 40 : -40;
    }
  const header = JSON.stringify({
    v: 1,
    version,
    dim: DIM,
    buckets: BUCKETS,
    vocab,
    idf: Array.from(idf, (x) => Math.round(x * 1000) / 1000),
    assoc,
  });
  return Buffer.concat([Buffer.from(`${header}\n`), Buffer.from(table.buffer)]);
}

async function heldOutMrr(e: Embedder, pairs: Pair[]): Promise<number> {
  const D = await e.embed(pairs.map((p) => p.doc));
  const C = await e.embed(pairs.map((p) => p.code));
  let mrr = 0;
  for (let i = 0; i < pairs.length; i++) {
    const sims = C.map((c) => c.reduce((s, x, j) => s + x * D[i][j], 0));
    const mine = sims[i];
    const rank = sims.filter((s) => s > mine).length;
    if (rank < 10) mrr += 1 / (rank + 1);
  }
  return mrr / pairs.length;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  log("collecting (documentation, code) pairs…");
  const { pairs, lock } = loadPairs();
  const heldOut = pairs.filter((p) => fnv1a(p.doc) % 10 === 0);
  const train = pairs.filter((p) => fnv1a(p.doc) % 10 !== 0);
  log(`${pairs.length} pairs (${train.length} train, ${heldOut.length} held out)`);
  const { vocab, idf, S, assoc } = buildAssociation(train);
  const E = embedTerms(S);
  const version = `v1-${new Date().toISOString().slice(0, 10)}`;
  const raw = writeAsset(vocab, idf, E, version, assoc);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(here("../assets/static-embedder.bin.gz"), gz);
  writeFileSync(here("./corpus.lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  const trained = StaticEmbedder.fromBuffer(raw);
  const sample = heldOut.slice(0, 600);
  const report = {
    version,
    dim: DIM,
    vocab: vocab.length,
    pairs: { total: pairs.length, train: train.length, heldOut: heldOut.length },
    assetBytes: gz.length,
    heldOutDocToCodeMrr10: {
      static: await heldOutMrr(trained, sample),
      hash: await heldOutMrr(new HashEmbedder(), sample),
      evaluatedOn: sample.length,
    },
    trainSeconds: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(here("./report.json"), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err) => {
  process.stderr.write(`training failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
