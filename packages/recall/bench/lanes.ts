/**
 * Which BM25 engine/lane? Compares, on the benchmark queries, the FTS5 lane as shipped
 * (porter + split-identifier column) with FTS5 on raw text and an FTS5 trigram lane,
 * alone and fused (RRF) with the shipped lane.
 *   pnpm --filter @ostk/recall exec tsx bench/lanes.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRelevant, type LabelledQuery } from "../src/commands/eval.js";
import { rrf } from "../src/query/rrf.js";
import { openRecall } from "../src/recall.js";
import { parseQuery } from "../src/tokenize.js";
import { buildBenchWorkspace } from "./corpus.js";

process.env.LANCEDB_LOG ??= "error";

function mrr(ranked: { path: string; symbol: string | null }[][], qs: LabelledQuery[]): number {
  let s = 0;
  ranked.forEach((hits, i) => {
    const seen = new Map<string, number>();
    const capped = hits.filter((h) => {
      const n = seen.get(h.path) ?? 0;
      seen.set(h.path, n + 1);
      return n < 3;
    });
    const r = capped.slice(0, 10).findIndex((h) => isRelevant(h, qs[i]));
    if (r >= 0) s += 1 / (r + 1);
  });
  return Math.round((s / qs.length) * 1000) / 1000;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "recall-lanes-"));
  const { ws, queries } = buildBenchWorkspace(root);
  const recall = await openRecall({ workspace: ws });
  await recall.scan();
  const db = recall.store.db;
  db.exec(`
    CREATE VIRTUAL TABLE raw_fts USING fts5(text, content='', tokenize = "unicode61");
    CREATE VIRTUAL TABLE tri_fts USING fts5(text, content='', tokenize = "trigram");
    INSERT INTO raw_fts(rowid, text) SELECT rowid, symbol || ' ' || path || ' ' || text FROM chunks;
    INSERT INTO tri_fts(rowid, text) SELECT rowid, symbol || ' ' || path || ' ' || text FROM chunks;
  `);
  const rowsOf = (table: string, expr: string) =>
    db
      .prepare(
        `SELECT c.id, c.path, c.symbol FROM (SELECT rowid, bm25(${table}) s FROM ${table} WHERE ${table} MATCH ? ORDER BY s LIMIT 60) f JOIN chunks c ON c.rowid = f.rowid ORDER BY f.s`,
      )
      .all(expr) as { id: string; path: string; symbol: string | null }[];
  const lanes: Record<string, { id: string; path: string; symbol: string | null }[][]> = {
    shipped: [],
    raw: [],
    trigram: [],
    "shipped+trigram": [],
  };
  const ms: Record<string, number> = { shipped: 0, raw: 0, trigram: 0 };
  for (const q of queries) {
    const pq = parseQuery(q.query);
    let t = performance.now();
    const shipped = (
      await recall.search(q.query, { lanes: ["bm25"], rerank: false, limit: 60, maxPerFile: 60 })
    ).hits;
    ms.shipped += performance.now() - t;
    const words = pq.whole.filter((w) => w.length >= 3).map((w) => `"${w.replace(/"/g, '""')}"`);
    t = performance.now();
    const raw = words.length ? rowsOf("raw_fts", words.join(" OR ")) : [];
    ms.raw += performance.now() - t;
    t = performance.now();
    const tri = words.length ? rowsOf("tri_fts", words.join(" OR ")) : [];
    ms.trigram += performance.now() - t;
    lanes.shipped.push(shipped);
    lanes.raw.push(raw);
    lanes.trigram.push(tri);
    const fused = rrf({ a: shipped.map((h) => h.id), b: tri.map((h) => h.id) });
    const byId = new Map([...shipped, ...tri].map((h) => [h.id, h]));
    lanes["shipped+trigram"].push(
      [...fused.entries()]
        .sort((x, y) => y[1].score - x[1].score)
        .map(([id]) => byId.get(id) as { id: string; path: string; symbol: string | null }),
    );
  }
  const n = queries.length;
  const out = Object.fromEntries(
    Object.entries(lanes).map(([k, v]) => [
      k,
      { mrr10: mrr(v, queries), msPerQuery: ms[k] ? Math.round((ms[k] / n) * 100) / 100 : null },
    ]),
  );
  process.stdout.write(`lane                 MRR@10  ms/query (${recall.store.counts().chunks} chunks)\n`);
  for (const [k, v] of Object.entries(out))
    process.stdout.write(`${k.padEnd(20)} ${String(v.mrr10).padEnd(7)} ${v.msPerQuery ?? "-"}\n`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await recall.close();
  rmSync(root, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = 1;
});
