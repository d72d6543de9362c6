/**
 * Learning-to-rank experiments for the reranker on the cross-fitted data of `rerank-data.ts`:
 * models are trained on the TRAINING packages' queries only (d3 README folds, and with `--jsdoc` the JSDoc
 * folds) and evaluated on both benchmark halves, against the shipped weights (tuned on the dev half).
 *
 *   pnpm --filter @ostk/recall exec tsx training/rerank-data.ts --jsdoc --out /tmp/ltr.json
 *   pnpm --filter @ostk/recall exec tsx training/rerank-ltr.ts /tmp/ltr.json [fold,jsdoc]
 *
 * 1. LambdaMART (gradient-boosted regression trees on LambdaRank gradients with |ΔNDCG| weights, Newton
 *    leaves) from scratch; 2. the same boosting started from the shipped linear score (a learned
 *    non-linear correction); 3. the linear weights re-fitted on the training queries by coordinate ascent.
 * Result (2026-11-22): none transfers to the benchmark; see the README, section Measured.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_WEIGHTS, type RerankWeights } from "../src/query/rerank.js";
import { diversify, FILE_DEMOTION } from "../src/query/search.js";
import type { ChunkRow } from "../src/store/sqlite-store.js";
import type { LtrCandidate as C, LtrQuery as Q } from "./rerank-data.js";

const data: Q[] = JSON.parse(readFileSync(process.argv[2] ?? "/tmp/recall-ltr.json", "utf8"));
const TRAIN_SETS = (process.argv[3] ?? "fold,jsdoc").split(",");
const FEATS = Object.keys(DEFAULT_WEIGHTS) as (keyof RerankWeights)[];
const vec = (c: C) => FEATS.map((k) => c.f[k] ?? 0);
const train = data.filter((q) => TRAIN_SETS.some((p) => q.set.startsWith(p)));
const dev = data.filter((q) => q.set === "dev");
const test = data.filter((q) => q.set === "test");

type Score = (c: C) => number;

/** MRR@10 after the same per-file ordering the search applies. */
function mrr(qs: Q[], score: Score, demotion = FILE_DEMOTION): number {
  let total = 0;
  for (const q of qs) {
    const scored = q.cands.map((c, i) => ({
      c,
      score: score(c),
      row: { id: String(i), path: c.path, source: c.source } as ChunkRow,
    }));
    const r = diversify(scored, demotion, 3).findIndex((x) => x.c.rel > 0);
    if (r >= 0 && r < 10) total += 1 / (r + 1);
  }
  return total / qs.length;
}

const linear =
  (w: RerankWeights): Score =>
  (c) => {
    let s = 0;
    for (const k of FEATS) s += w[k] * (c.f[k] ?? 0);
    return s;
  };

const report = (name: string, s: Score, demotion?: number) =>
  process.stdout.write(
    `${name.padEnd(34)} train ${mrr(train, s, demotion).toFixed(4)}  dev ${mrr(dev, s, demotion).toFixed(4)}  test ${mrr(test, s, demotion).toFixed(4)}\n`,
  );

interface Node {
  f?: number;
  t?: number;
  l?: Node;
  r?: Node;
  v?: number;
}

function predict(n: Node, x: number[]): number {
  let m = n;
  while (m.v === undefined) m = x[m.f as number] <= (m.t as number) ? (m.l as Node) : (m.r as Node);
  return m.v;
}

function lambdaMart(qs: Q[], o: { trees: number; lr: number; depth: number; minLeaf: number; init?: Score }) {
  const rows: number[][] = [];
  const groups: number[][] = [];
  const rel: number[] = [];
  const scores: number[] = [];
  for (const q of qs) {
    const idx: number[] = [];
    for (const c of q.cands) {
      idx.push(rows.length);
      rows.push(vec(c));
      rel.push(c.rel);
      scores.push(o.init ? o.init(c) : 0);
    }
    groups.push(idx);
  }
  const n = rows.length;
  const F = FEATS.length;
  const order = FEATS.map((_, f) => [...rows.keys()].sort((a, b) => rows[a][f] - rows[b][f]));
  const trees: Node[] = [];
  for (let it = 0; it < o.trees; it++) {
    const g = new Float64Array(n);
    const h = new Float64Array(n);
    for (const idx of groups) {
      const pos = new Map([...idx].sort((a, b) => scores[b] - scores[a]).map((i, r) => [i, r]));
      const nrel = idx.filter((i) => rel[i] > 0).length;
      if (!nrel || nrel === idx.length) continue;
      let idcg = 0;
      for (let r = 0; r < nrel; r++) idcg += 1 / Math.log2(r + 2);
      for (const i of idx) {
        if (rel[i] === 0) continue;
        for (const j of idx) {
          if (rel[j] > 0) continue;
          const delta =
            Math.abs(1 / Math.log2((pos.get(i) as number) + 2) - 1 / Math.log2((pos.get(j) as number) + 2)) /
            idcg;
          const rho = 1 / (1 + Math.exp(scores[i] - scores[j]));
          g[i] += rho * delta;
          g[j] -= rho * delta;
          h[i] += rho * (1 - rho) * delta;
          h[j] += rho * (1 - rho) * delta;
        }
      }
    }
    const build = (mask: Uint8Array, depth: number): Node => {
      let G = 0;
      let H = 0;
      let count = 0;
      for (let i = 0; i < n; i++)
        if (mask[i]) {
          G += g[i];
          H += h[i];
          count++;
        }
      const leaf = { v: (o.lr * G) / (H + 1) };
      if (depth === 0 || count < 2 * o.minLeaf) return leaf;
      let best = 0;
      let bf = -1;
      let bt = 0;
      const base = (G * G) / (H + 1);
      for (let f = 0; f < F; f++) {
        const ord = order[f].filter((i) => mask[i]);
        let gl = 0;
        let hl = 0;
        for (let k = 0; k < ord.length - 1; k++) {
          const i = ord[k];
          gl += g[i];
          hl += h[i];
          if (rows[ord[k + 1]][f] === rows[i][f] || k + 1 < o.minLeaf || ord.length - k - 1 < o.minLeaf)
            continue;
          const gain = (gl * gl) / (hl + 1) + ((G - gl) * (G - gl)) / (H - hl + 1) - base;
          if (gain > best) {
            best = gain;
            bf = f;
            bt = (rows[i][f] + rows[ord[k + 1]][f]) / 2;
          }
        }
      }
      if (bf < 0) return leaf;
      const left = new Uint8Array(n);
      const right = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (mask[i]) (rows[i][bf] <= bt ? left : right)[i] = 1;
      return { f: bf, t: bt, l: build(left, depth - 1), r: build(right, depth - 1) };
    };
    const tree = build(new Uint8Array(n).fill(1), o.depth);
    trees.push(tree);
    for (let i = 0; i < n; i++) scores[i] += predict(tree, rows[i]);
  }
  return (k: number): Score =>
    (c) => {
      const x = vec(c);
      let s = 0;
      for (let t = 0; t < k; t++) s += predict(trees[t], x);
      return s;
    };
}

function ascend(qs: Q[], start: RerankWeights): RerankWeights {
  let w = { ...start };
  let best = mrr(qs, linear(w));
  for (const step of [0.5, 0.2, 0.1, 0.05])
    for (let round = 0; round < 4; round++) {
      let improved = false;
      for (const k of FEATS)
        for (const d of [step, -step]) {
          const cand = { ...w, [k]: Math.max(0, Math.round((w[k] + d) * 100) / 100) };
          const m = mrr(qs, linear(cand));
          if (m > best + 1e-4) {
            best = m;
            w = cand;
            improved = true;
          }
        }
      if (!improved) break;
    }
  return w;
}

process.stdout.write(
  `${train.length} training queries (${TRAIN_SETS.join(", ")}), ${dev.length} dev, ${test.length} test\n`,
);
const shipped = linear(DEFAULT_WEIGHTS);
report("shipped weights (tuned on dev)", shipped);
report(
  "bm25 rank only",
  linear({ ...Object.fromEntries(FEATS.map((k) => [k, 0])), bm25: 1 } as RerankWeights),
);
for (const depth of [2, 3]) {
  const scratch = lambdaMart(train, { trees: 200, lr: 0.1, depth, minLeaf: 30 });
  for (const k of [50, 200])
    for (const d of [0.5, 2]) report(`lambdamart depth ${depth}, ${k} trees, demote ${d}`, scratch(k), d);
  const fix = lambdaMart(train, { trees: 50, lr: 0.1, depth, minLeaf: 30, init: shipped });
  for (const k of [10, 50]) {
    const e = fix(k);
    report(`shipped + boosted, depth ${depth}, ${k} trees`, (c) => shipped(c) + e(c));
  }
}
report("linear re-fitted on training", linear(ascend(train, DEFAULT_WEIGHTS)));
