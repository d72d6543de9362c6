/**
 * Learning-to-rank data for the reranker, cross-fitted so that no query is ranked by an embedder that saw
 * its package: the README packages of training/corpus.json are split into folds; for each fold an embedder
 * is trained without that fold's packages (`train.ts --exclude … --out …`), the fold's sources are indexed
 * with it, and every README query of the fold yields its fused candidates with their reranker features and
 * labels. The benchmark (dev and test halves) is dumped too, with the shipped embedder, for evaluation only.
 *
 *   pnpm --filter @ostk/recall exec tsx training/rerank-data.ts [--folds 4] [--out /tmp/ltr.json]
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import {
  buildBenchWorkspace,
  cleanQuery,
  fetchPackages,
  readmeQueries,
  sourceDirs,
} from "../bench/corpus.js";
import { isRelevant, type LabelledQuery } from "../src/commands/eval.js";
import { fnv1a } from "../src/embed/embedder.js";
import { StaticEmbedder } from "../src/embed/static-embedder.js";
import { features } from "../src/query/rerank.js";
import { gatherCandidates } from "../src/query/search.js";
import { openRecall } from "../src/recall.js";
import { jsdocPairs, stripComments } from "./pairs.js";

process.env.LANCEDB_LOG ??= "error";
const args = process.argv.slice(2);
const arg = (n: string, d: string) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : d;
};
const FOLDS = Number(arg("folds", "4"));
const OUT = arg("out", join(tmpdir(), "recall-ltr.json"));
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

export interface LtrCandidate {
  path: string;
  symbol: string | null;
  source: string;
  f: Record<string, number>;
  rel: number;
}
export interface LtrQuery {
  set: string;
  query: string;
  cands: LtrCandidate[];
}

async function dump(
  ws: string,
  queries: LabelledQuery[],
  set: (i: number) => string,
  embedder?: StaticEmbedder,
) {
  const recall = await openRecall({ workspace: ws, embedder });
  await recall.scan();
  const out: LtrQuery[] = [];
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i];
    const { cands, ctx } = await gatherCandidates(recall.store, recall.vectors, recall.embedder, q.query, {
      limit: 10,
    });
    out.push({
      set: set(i),
      query: q.query,
      cands: cands.map((c) => ({
        path: c.row.path,
        symbol: c.row.symbol,
        source: c.row.source,
        f: features(ctx, c),
        rel: isRelevant({ path: c.row.path, symbol: c.row.symbol }, q) ? 1 : 0,
      })),
    });
  }
  await recall.close();
  return out;
}

async function main(): Promise<void> {
  const corpus = JSON.parse(readFileSync(here("./corpus.json"), "utf8")) as { readme: string[] };
  const all: LtrQuery[] = [];
  const root = mkdtempSync(join(tmpdir(), "recall-ltr-"));
  try {
    for (let k = 0; k < FOLDS; k++) {
      const specs = corpus.readme.filter((_, i) => i % FOLDS === k);
      const names = specs.map((s) => s.slice(0, s.lastIndexOf("@")));
      const asset = join(root, `fold${k}.bin.gz`);
      execFileSync(
        process.execPath,
        ["--import", "tsx", here("./train.ts"), "--exclude", names.join(","), "--out", asset],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
      const embedder = StaticEmbedder.fromBuffer(gunzipSync(readFileSync(asset)));
      const ws = join(root, `ws${k}`);
      const queries: LabelledQuery[] = [];
      for (const [name, dir] of fetchPackages(specs)) {
        for (const d of sourceDirs(name))
          if (existsSync(join(dir, d))) cpSync(join(dir, d), join(ws, name, d), { recursive: true });
        queries.push(...readmeQueries(name, dir));
      }
      log(`fold ${k}: ${names.join(" ")}: ${queries.length} queries`);
      all.push(...(await dump(ws, queries, () => `fold${k}`, embedder)));
    }
    // JSDoc folds: one function per file packages, indexed with their comments stripped; the query is the
    // JSDoc text (first two sentences, the function's own name removed), the label its file
    const JSDOC: [string, string, RegExp][] = [
      ["lodash@4.17.21", ".", /^(lodash|core|fp|.*\.min)\.js$|^fp\//],
      ["date-fns@2.30.0", "esm", /locale|fp|_lib/],
      ["ramda@0.29.1", "src", /^src\/internal/],
      ["mathjs@12.4.3", "lib/esm/function", /$^/],
    ];
    if (args.includes("--jsdoc"))
      for (const [spec, dir, skip] of JSDOC) {
        const name = spec.slice(0, spec.lastIndexOf("@"));
        const asset = join(root, `${name}.bin.gz`);
        execFileSync(
          process.execPath,
          ["--import", "tsx", here("./train.ts"), "--exclude", name, "--out", asset],
          {
            stdio: ["ignore", "ignore", "inherit"],
          },
        );
        const embedder = StaticEmbedder.fromBuffer(gunzipSync(readFileSync(asset)));
        const pkgDir = fetchPackages([spec]).get(name) as string;
        const ws = join(root, `ws-${name}`);
        const queries: LabelledQuery[] = [];
        const seen = new Set<string>();
        for (const p of jsdocPairs(name, pkgDir, [dir])) {
          const rel = p.code.slice(0, p.code.indexOf("\n"));
          if (skip.test(rel) || seen.has(rel)) continue;
          seen.add(rel);
          const src = readFileSync(join(pkgDir, rel), "utf8");
          mkdirSync(dirname(join(ws, name, rel)), { recursive: true });
          writeFileSync(join(ws, name, rel), stripComments(src));
          const base =
            rel
              .split("/")
              .filter((x) => x !== "index.js")
              .pop()
              ?.replace(/\.js$/, "") ?? "";
          const query = cleanQuery(p.doc, base);
          if (query.split(" ").length >= 4 && fnv1a(rel) % 3 === 0)
            queries.push({ query, paths: [`${name}/${rel}`] });
        }
        log(`jsdoc ${name}: ${seen.size} files, ${queries.length} queries`);
        all.push(...(await dump(ws, queries, () => `jsdoc-${name}`, embedder)));
      }
    const { ws, queries } = buildBenchWorkspace(join(root, "bench"));
    all.push(...(await dump(ws, queries, (i) => (i % 2 ? "test" : "dev"))));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  writeFileSync(OUT, JSON.stringify(all));
  log(`wrote ${all.length} queries to ${OUT}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
