/**
 * Trains the static token-embedding table shipped as assets/static-embedder.bin.gz.
 *
 *   pnpm --filter @ostk/recall exec tsx training/train.ts [--dim 128] [--vocab 24000] [--epochs 0]
 *
 * 1. Fetch the packages of training/corpus.json with `npm pack` (cached) and extract
 *    (documentation, code) pairs: d3-style README sections → their source file, JSDoc → the code it documents.
 * 2. Count, per pair, which documentation terms co-occur with which code terms (terms = split,
 *    stemmed identifiers, the same normalisation the index uses) and weight them by positive PMI.
 * 3. Symmetrise that doc↔code association matrix and keep its top eigenvectors (randomised subspace
 *    iteration): rows are term vectors whose dot products approximate the learned association, so a
 *    documentation-style query lands near the code it describes.
 * 3b. Optional (`--epochs N`, off as shipped): contrastive fine-tuning of the rows (symmetric InfoNCE,
 *    in-batch negatives from one package at a time), epoch picked on a validation tenth.
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
import { normTerms, termFrequencies } from "../src/tokenize.js";
import { jsdocPairs, type Pair, readmePairs } from "./pairs.js";

const args = process.argv.slice(2);
const flag = (n: string, d: number) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const DIM = flag("dim", 128);
const VOCAB = flag("vocab", 24000);
/**
 * Contrastive fine-tuning epochs after the PPMI eigen-embedding (0 = none, as shipped: it lifts held-out
 * doc→code MRR@10 from 0.68 to 0.79 and the benchmark's vector lane by ≈ 0.04, but not the full pipeline).
 */
const EPOCHS = flag("epochs", 0);
const LR = flag("lr", 0.003);
const TAU = flag("tau", 0.05);
const BATCH = flag("batch", 128);
/** Batches drawn from one package at a time (hard negatives: neighbouring functions of the same library). */
const BY_PACKAGE = flag("by-package", 1);
/** `--exclude a,b`: leave these training packages out (cross-fitted embedders for training the reranker). */
const sarg = (n: string) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const EXCLUDE = new Set((sarg("exclude") ?? "").split(",").filter(Boolean));
/** `--out file`: write the asset there (and no lock file or report) instead of the shipped asset. */
const OUT = sarg("out");
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
    if (EXCLUDE.has(name)) continue;
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
  let Q: Float64Array = new Float64Array(S.n * k);
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

/** A pair side as (vocabulary row, weight) lists, weighted as the embedder weights terms at query time. */
function bag(
  text: string,
  index: Map<string, number>,
  idf: Float32Array,
): { ids: Int32Array; w: Float64Array } {
  const ids: number[] = [];
  const w: number[] = [];
  for (const [t, n] of termFrequencies(text)) {
    const i = index.get(t);
    if (i === undefined) continue;
    ids.push(i);
    w.push(idf[i] * (1 + Math.log(n)));
  }
  return { ids: Int32Array.from(ids), w: Float64Array.from(w) };
}

/**
 * Contrastive fine-tuning of the term table (rows kept at unit length, as the asset stores them):
 * symmetric InfoNCE over in-batch negatives between each pair's documentation and code bags,
 * Adam; the epoch with the best doc→code MRR@10 on the validation pairs is kept (the held-out pairs
 * of the report are never seen).
 */
function contrastive(
  E0: Float64Array,
  vocab: string[],
  idf: Float32Array,
  train: Pair[],
  valid: Pair[],
): Float64Array {
  const V = vocab.length;
  const index = new Map(vocab.map((t, i) => [t, i]));
  const E = new Float64Array(V * DIM);
  for (let i = 0; i < V; i++) {
    let n = 0;
    for (let d = 0; d < DIM; d++) n += E0[i * DIM + d] ** 2;
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < DIM; d++) E[i * DIM + d] = E0[i * DIM + d] / n;
  }
  const docs = train.map((p) => bag(p.doc, index, idf));
  const codes = train.map((p) => bag(p.code, index, idf));
  const hDocs = valid.map((p) => bag(p.doc, index, idf));
  const hCodes = valid.map((p) => bag(p.code, index, idf));
  const enc = (b: { ids: Int32Array; w: Float64Array }, out: Float64Array, o: number): number => {
    for (let d = 0; d < DIM; d++) out[o + d] = 0;
    for (let k = 0; k < b.ids.length; k++) {
      const r = b.ids[k] * DIM;
      for (let d = 0; d < DIM; d++) out[o + d] += b.w[k] * E[r + d];
    }
    let n = 0;
    for (let d = 0; d < DIM; d++) n += out[o + d] ** 2;
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < DIM; d++) out[o + d] /= n;
    return n;
  };
  const evalMrr = (): number => {
    const H = valid.length;
    const D = new Float64Array(H * DIM);
    const C = new Float64Array(H * DIM);
    for (let i = 0; i < H; i++) {
      enc(hDocs[i], D, i * DIM);
      enc(hCodes[i], C, i * DIM);
    }
    let mrr = 0;
    for (let i = 0; i < H; i++) {
      const sim = (j: number) => {
        let s = 0;
        for (let d = 0; d < DIM; d++) s += D[i * DIM + d] * C[j * DIM + d];
        return s;
      };
      const mine = sim(i);
      let rank = 0;
      for (let j = 0; j < H; j++) if (j !== i && sim(j) > mine) rank++;
      if (rank < 10) mrr += 1 / (rank + 1);
    }
    return mrr / H;
  };
  const m = new Float64Array(V * DIM);
  const v = new Float64Array(V * DIM);
  const G = new Float64Array(V * DIM);
  let step = 0;
  let seed = 4242;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  let best = evalMrr();
  let bestE = Float64Array.from(E);
  log(`  contrastive: epoch 0 validation MRR@10 ${best.toFixed(4)}`);
  const order = [...train.keys()];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const batches: number[][] = [];
    if (BY_PACKAGE) {
      const byPkg = new Map<string, number[]>();
      for (const i of order) byPkg.set(train[i].pkg, [...(byPkg.get(train[i].pkg) ?? []), i]);
      let rest: number[] = [];
      for (const list of byPkg.values()) {
        for (let b0 = 0; b0 < list.length; b0 += BATCH) {
          const part = list.slice(b0, b0 + BATCH);
          if (part.length >= 16) batches.push(part);
          else rest.push(...part);
        }
      }
      for (let b0 = 0; b0 < rest.length; b0 += BATCH) batches.push(rest.slice(b0, b0 + BATCH));
      rest = [];
      for (let i = batches.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [batches[i], batches[j]] = [batches[j], batches[i]];
      }
    } else for (let b0 = 0; b0 + 8 <= order.length; b0 += BATCH) batches.push(order.slice(b0, b0 + BATCH));
    for (const batch of batches) {
      const B = batch.length;
      const D = new Float64Array(B * DIM);
      const C = new Float64Array(B * DIM);
      const nd = new Float64Array(B);
      const nc = new Float64Array(B);
      for (let i = 0; i < B; i++) {
        nd[i] = enc(docs[batch[i]], D, i * DIM);
        nc[i] = enc(codes[batch[i]], C, i * DIM);
      }
      const S = new Float64Array(B * B);
      for (let i = 0; i < B; i++)
        for (let j = 0; j < B; j++) {
          let s = 0;
          for (let d = 0; d < DIM; d++) s += D[i * DIM + d] * C[j * DIM + d];
          S[i * B + j] = s / TAU;
        }
      // dL/dS for doc→code (rows) and code→doc (columns) softmax cross-entropy
      const dS = new Float64Array(B * B);
      for (let i = 0; i < B; i++) {
        let mx = -Infinity;
        for (let j = 0; j < B; j++) mx = Math.max(mx, S[i * B + j]);
        let z = 0;
        for (let j = 0; j < B; j++) z += Math.exp(S[i * B + j] - mx);
        for (let j = 0; j < B; j++)
          dS[i * B + j] += (Math.exp(S[i * B + j] - mx) / z - (i === j ? 1 : 0)) / B;
      }
      for (let j = 0; j < B; j++) {
        let mx = -Infinity;
        for (let i = 0; i < B; i++) mx = Math.max(mx, S[i * B + j]);
        let z = 0;
        for (let i = 0; i < B; i++) z += Math.exp(S[i * B + j] - mx);
        for (let i = 0; i < B; i++)
          dS[i * B + j] += (Math.exp(S[i * B + j] - mx) / z - (i === j ? 1 : 0)) / B;
      }
      G.fill(0);
      const touched = new Set<number>();
      const gd = new Float64Array(DIM);
      const back = (bagv: { ids: Int32Array; w: Float64Array }, x: Float64Array, o: number, n: number) => {
        // gradient w.r.t. the unnormalised sum, then into each term row
        let dot = 0;
        for (let d = 0; d < DIM; d++) dot += x[o + d] * gd[d];
        for (let d = 0; d < DIM; d++) gd[d] = (gd[d] - x[o + d] * dot) / n;
        for (let k = 0; k < bagv.ids.length; k++) {
          const r = bagv.ids[k] * DIM;
          touched.add(bagv.ids[k]);
          for (let d = 0; d < DIM; d++) G[r + d] += bagv.w[k] * gd[d];
        }
      };
      for (let i = 0; i < B; i++) {
        gd.fill(0);
        for (let j = 0; j < B; j++) {
          const g = dS[i * B + j] / TAU;
          for (let d = 0; d < DIM; d++) gd[d] += g * C[j * DIM + d];
        }
        back(docs[batch[i]], D, i * DIM, nd[i]);
      }
      for (let j = 0; j < B; j++) {
        gd.fill(0);
        for (let i = 0; i < B; i++) {
          const g = dS[i * B + j] / TAU;
          for (let d = 0; d < DIM; d++) gd[d] += g * D[i * DIM + d];
        }
        back(codes[batch[j]], C, j * DIM, nc[j]);
      }
      step++;
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (const r of touched) {
        let n = 0;
        for (let d = 0; d < DIM; d++) {
          const k = r * DIM + d;
          m[k] = b1 * m[k] + (1 - b1) * G[k];
          v[k] = b2 * v[k] + (1 - b2) * G[k] * G[k];
          E[k] -= (LR * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + 1e-8);
          n += E[k] * E[k];
        }
        n = Math.sqrt(n) || 1;
        for (let d = 0; d < DIM; d++) E[r * DIM + d] /= n;
      }
    }
    const got = evalMrr();
    log(`  contrastive: epoch ${epoch} validation MRR@10 ${got.toFixed(4)}`);
    if (got > best) {
      best = got;
      bestE = Float64Array.from(E);
    }
  }
  return bestE;
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
  // with fine-tuning, a validation tenth picks the epoch; the held-out tenth is only used for the report
  const valid = EPOCHS > 0 ? pairs.filter((p) => fnv1a(p.doc) % 10 === 1) : [];
  const train = pairs.filter((p) => fnv1a(p.doc) % 10 !== 0 && (EPOCHS === 0 || fnv1a(p.doc) % 10 !== 1));
  log(
    `${pairs.length} pairs (${train.length} train, ${valid.length} validation, ${heldOut.length} held out)`,
  );
  const { vocab, idf, S, assoc } = buildAssociation(train);
  const E0 = embedTerms(S);
  const E = EPOCHS > 0 ? contrastive(E0, vocab, idf, train, valid) : E0;
  const version = `v1-${new Date().toISOString().slice(0, 10)}`;
  const raw = writeAsset(vocab, idf, E, version, assoc);
  const gz = gzipSync(raw, { level: 9 });
  if (OUT) {
    writeFileSync(OUT, gz);
    log(`wrote ${OUT} (${gz.length} bytes, ${[...EXCLUDE].length} packages left out)`);
    return;
  }
  writeFileSync(here("../assets/static-embedder.bin.gz"), gz);
  writeFileSync(here("./corpus.lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  const trained = StaticEmbedder.fromBuffer(raw);
  const sample = heldOut.slice(0, 600);
  const report = {
    version,
    dim: DIM,
    vocab: vocab.length,
    pairs: {
      total: pairs.length,
      train: train.length,
      ...(EPOCHS > 0 ? { validation: valid.length } : {}),
      heldOut: heldOut.length,
    },
    ...(EPOCHS > 0
      ? { contrastive: { epochs: EPOCHS, byPackage: BY_PACKAGE === 1, lr: LR, tau: TAU, batch: BATCH } }
      : {}),
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
