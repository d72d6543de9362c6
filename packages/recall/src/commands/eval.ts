import { readFileSync } from "node:fs";
import type { Hit } from "../query/search.js";
import { openRecall } from "../recall.js";
import { type Args, findWorkspace, intFlag, UsageError } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

/** One labelled query: relevant hits are those in `paths` (and, when given, with a symbol in `symbols`). */
export interface LabelledQuery {
  query: string;
  paths: string[];
  symbols?: string[];
}

export function isRelevant(h: Pick<Hit, "path" | "symbol">, q: LabelledQuery): boolean {
  if (!q.paths.includes(h.path)) return false;
  if (!q.symbols?.length) return true;
  const last = h.symbol?.split(".").pop()?.toLowerCase();
  return q.symbols.some((s) => s.toLowerCase() === last);
}

export interface EvalScores {
  queries: number;
  mrr10: number;
  recallAtK: number;
  k: number;
}

/** MRR@10 and Recall@k (share of queries with a relevant hit in the top k). */
export function score(results: Hit[][], queries: LabelledQuery[], k: number): EvalScores {
  let mrr = 0;
  let rec = 0;
  results.forEach((hits, i) => {
    const rank = hits.findIndex((h) => isRelevant(h, queries[i]));
    if (rank >= 0 && rank < 10) mrr += 1 / (rank + 1);
    if (rank >= 0 && rank < k) rec++;
  });
  const n = Math.max(1, queries.length);
  return { queries: queries.length, mrr10: mrr / n, recallAtK: rec / n, k };
}

export function readQueries(file: string): LabelledQuery[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      const o = JSON.parse(l) as Partial<LabelledQuery> & { path?: string; symbol?: string };
      const paths = o.paths ?? (o.path ? [o.path] : []);
      if (!o.query || !paths.length)
        throw new UsageError(`${file}:${i + 1}: each line needs "query" and "paths" (or "path")`);
      return { query: o.query, paths, symbols: o.symbols ?? (o.symbol ? [o.symbol] : undefined) };
    });
}

export async function evalCommand(args: Args): Promise<number> {
  const file = args.positional[0];
  if (!file)
    throw new UsageError(
      'usage: ostk-recall eval <queries.jsonl> [--k 10] [--json]   (lines: {"query": "...", "paths": ["src/x.ts"], "symbols"?: ["fn"]})',
    );
  const queries = readQueries(file);
  const k = intFlag(args.flags, "k", 10) || 10;
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    const out: Record<string, EvalScores> = {};
    for (const [name, lanes] of [
      ["bm25", ["bm25"]],
      ["full", undefined],
    ] as const) {
      const res: Hit[][] = [];
      for (const q of queries)
        res.push(
          (
            await recall.search(q.query, {
              limit: Math.max(k, 10),
              lanes: lanes ? [...lanes] : undefined,
              rerank: name === "full",
            })
          ).hits,
        );
      out[name] = score(res, queries, k);
    }
    if (args.flags.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      process.stdout.write(`pipeline  queries  MRR@10  Recall@${k}\n`);
      for (const [n, s] of Object.entries(out))
        process.stdout.write(
          `${n.padEnd(9)} ${String(s.queries).padStart(7)}  ${s.mrr10.toFixed(3)}   ${s.recallAtK.toFixed(3)}\n`,
        );
    }
    return 0;
  } finally {
    await recall.close();
  }
}
