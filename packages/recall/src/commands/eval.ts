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

/** Reciprocal rank of the first relevant hit within the top 10 (0 when there is none): one query's MRR@10. */
export function reciprocalRank(hits: Hit[], q: LabelledQuery): number {
  const rank = hits.findIndex((h) => isRelevant(h, q));
  return rank >= 0 && rank < 10 ? 1 / (rank + 1) : 0;
}

/** MRR@10 and Recall@k (share of queries with a relevant hit in the top k). */
export function score(results: Hit[][], queries: LabelledQuery[], k: number): EvalScores {
  let mrr = 0;
  let rec = 0;
  results.forEach((hits, i) => {
    mrr += reciprocalRank(hits, queries[i]);
    if (hits.slice(0, k).some((h) => isRelevant(h, queries[i]))) rec++;
  });
  const n = Math.max(1, queries.length);
  return { queries: queries.length, mrr10: mrr / n, recallAtK: rec / n, k };
}

/** Labelled queries, one JSON object per line; a line that is not one is refused with its file and line number. */
export function readQueries(file: string): LabelledQuery[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the queries file ${file}: ${(err as Error).message}`);
  }
  const strings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x !== "");
  const queries: LabelledQuery[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const at = `${file}:${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${at}: not valid JSON (${(err as Error).message})`);
    }
    if (!o || typeof o !== "object" || Array.isArray(o))
      throw new UsageError(
        `${at}: each line must be a JSON object like {"query": "...", "paths": ["src/x.ts"]}`,
      );
    const paths = typeof o.path === "string" && o.paths === undefined ? [o.path] : o.paths;
    const symbols = typeof o.symbol === "string" && o.symbols === undefined ? [o.symbol] : o.symbols;
    if (typeof o.query !== "string" || !o.query.trim())
      throw new UsageError(`${at}: "query" must be a non-empty string`);
    if (!strings(paths))
      throw new UsageError(
        `${at}: "paths" must be a non-empty array of workspace-relative paths (or "path": a string)`,
      );
    if (symbols !== undefined && !strings(symbols))
      throw new UsageError(`${at}: "symbols" must be a non-empty array of names (or "symbol": a string)`);
    queries.push({ query: o.query, paths, symbols });
  });
  if (!queries.length) throw new UsageError(`${file} has no queries`);
  return queries;
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
    if (!(await recall.status()).lastScan) {
      process.stderr.write(`${recall.workspace} has never been indexed: scanning it first…\n`);
      await recall.scan();
    }
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
