/**
 * Tunes the reranker weights by coordinate ascent on the DEV half of the benchmark
 * queries (even positions) and reports MRR@10 on the TEST half (odd positions).
 *   pnpm --filter @ostk/recall exec tsx bench/tune.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRelevant, type LabelledQuery } from "../src/commands/eval.js";
import {
  type Candidate,
  DEFAULT_WEIGHTS,
  type Features,
  features,
  type RerankWeights,
  scoreOf,
} from "../src/query/rerank.js";
import { gatherCandidates } from "../src/query/search.js";
import { openRecall } from "../src/recall.js";
import { buildBenchWorkspace } from "./corpus.js";

process.env.LANCEDB_LOG ??= "error";

interface Prepared {
  q: LabelledQuery;
  cands: { c: Candidate; f: Features }[];
}

function mrr(set: Prepared[], w: RerankWeights): number {
  let total = 0;
  for (const p of set) {
    const ranked = p.cands.map((x) => ({ x, s: scoreOf(x.f, w) })).sort((a, b) => b.s - a.s);
    const perFile = new Map<string, number>();
    let rank = 0;
    for (const { x } of ranked) {
      const n = perFile.get(x.c.row.path) ?? 0;
      if (n >= 3) continue;
      perFile.set(x.c.row.path, n + 1);
      if (rank >= 10) break;
      if (isRelevant({ path: x.c.row.path, symbol: x.c.row.symbol }, p.q)) {
        total += 1 / (rank + 1);
        break;
      }
      rank++;
    }
  }
  return total / set.length;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "recall-tune-"));
  const { ws, queries } = buildBenchWorkspace(root);
  const recall = await openRecall({ workspace: ws });
  await recall.scan();
  const prepared: Prepared[] = [];
  for (const q of queries) {
    const { cands, ctx } = await gatherCandidates(recall.store, recall.vectors, recall.embedder, q.query, {
      limit: 10,
    });
    prepared.push({ q, cands: cands.map((c) => ({ c, f: features(ctx, c) })) });
  }
  await recall.close();
  rmSync(root, { recursive: true, force: true });
  const dev = prepared.filter((_, i) => i % 2 === 0);
  const test = prepared.filter((_, i) => i % 2 === 1);
  let w = { ...DEFAULT_WEIGHTS };
  let best = mrr(dev, w);
  process.stderr.write(`start dev ${best.toFixed(4)} test ${mrr(test, w).toFixed(4)}\n`);
  const steps = [0.5, 0.2, 0.1, 0.05];
  for (const step of steps) {
    for (let round = 0; round < 4; round++) {
      let improved = false;
      for (const k of Object.keys(w) as (keyof RerankWeights)[]) {
        for (const d of [step, -step]) {
          const cand = { ...w, [k]: Math.max(0, Math.round((w[k] + d) * 100) / 100) };
          const m = mrr(dev, cand);
          if (m > best + 1e-4) {
            best = m;
            w = cand;
            improved = true;
          }
        }
      }
      if (!improved) break;
    }
  }
  const bm25Only = { ...Object.fromEntries(Object.keys(w).map((k) => [k, 0])), bm25: 1 } as RerankWeights;
  process.stdout.write(
    `${JSON.stringify({ weights: w, dev: best, test: mrr(test, w), testDefault: mrr(test, DEFAULT_WEIGHTS), testBm25RankOnly: mrr(test, bm25Only) })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
