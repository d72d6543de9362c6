import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("ostk-recall eval, and bad arguments on the command line", () => {
  let ws: string;
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), "recall-eval-"));
    mkdirSync(join(ws, "src"));
    writeFileSync(
      join(ws, "src/http.ts"),
      "/** Split a raw HTTP header line into its name and value. */\nexport function parseHeaderLine(line: string) {\n  const i = line.indexOf(':');\n  return [line.slice(0, i), line.slice(i + 1).trim()];\n}\n",
    );
    writeFileSync(
      join(ws, "src/cart.ts"),
      "/** Total price of the basket's items, in cents. */\nexport function cartTotal(items: { cents: number }[]) {\n  return items.reduce((sum, item) => sum + item.cents, 0);\n}\n",
    );
    writeFileSync(
      join(ws, "src/geo.ts"),
      "/** Great-circle distance between two coordinates, in kilometres. */\nexport function haversine(a: number[], b: number[]) {\n  return Math.hypot(a[0] - b[0], a[1] - b[1]) * 111;\n}\n",
    );
  });
  afterAll(() => rmSync(ws, { recursive: true, force: true }));

  it("indexes a workspace that was never scanned, then prints MRR@10 and Recall@k for BM25 and the full pipeline", async () => {
    writeFileSync(
      join(ws, "queries.jsonl"),
      [
        { query: "split an HTTP header line into name and value", paths: ["src/http.ts"] },
        { query: "total price of the basket in cents", path: "src/cart.ts", symbol: "cartTotal" },
        // labelled with a file that does not exist: never found, so it counts 0 for both measures
        { query: "great-circle distance between coordinates", paths: ["src/distance.ts"] },
      ]
        .map((q) => JSON.stringify(q))
        .join("\n"),
    );
    const r = await runCli(["eval", "queries.jsonl", "--json"], ws);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("has never been indexed: scanning it first");
    const out = JSON.parse(r.stdout) as Record<
      string,
      { queries: number; mrr10: number; recallAtK: number; k: number }
    >;
    for (const name of ["bm25", "full"]) {
      expect(out[name]).toMatchObject({ queries: 3, k: 10 });
      expect(out[name].recallAtK).toBeCloseTo(2 / 3, 6);
      expect(out[name].mrr10).toBeCloseTo(2 / 3, 6);
    }
    // a symbol label must match the hit's symbol, not only its file
    writeFileSync(
      join(ws, "wrong-symbol.jsonl"),
      JSON.stringify({ query: "basket total price cents", path: "src/cart.ts", symbol: "subtotal" }),
    );
    const wrong = JSON.parse((await runCli(["eval", "wrong-symbol.jsonl", "--json"], ws)).stdout);
    expect(wrong.full.mrr10).toBe(0);
    const table = await runCli(["eval", "queries.jsonl", "--k", "1"], ws);
    expect(table.code).toBe(0);
    expect(table.stderr).not.toContain("scanning it first");
    expect(table.stdout.split("\n")[0]).toBe("pipeline  queries  MRR@10  Recall@1");
    expect(table.stdout).toMatch(/^full\s+3\s+0\.667\s+0\.667$/m);
  });

  it("refuses a queries file it cannot use, naming the file and line, with exit code 2", async () => {
    const cases: [string, string][] = [
      ['{"query": "a", "paths": ["src/a.ts"]}\nnot json', "bad.jsonl:2: not valid JSON"],
      ["null", "bad.jsonl:1: each line must be a JSON object"],
      ['{"query": "a", "paths": "src/a.ts"}', 'bad.jsonl:1: "paths" must be a non-empty array'],
      ['{"paths": ["src/a.ts"]}', 'bad.jsonl:1: "query" must be a non-empty string'],
      [
        '{"query": "a", "path": "src/a.ts", "symbols": [1]}',
        'bad.jsonl:1: "symbols" must be a non-empty array',
      ],
      ["\n\n", "bad.jsonl has no queries"],
    ];
    for (const [text, message] of cases) {
      writeFileSync(join(ws, "bad.jsonl"), text);
      const r = await runCli(["eval", "bad.jsonl"], ws);
      expect(r.code, text).toBe(2);
      expect(r.stderr, text).toContain(message);
    }
    const missing = await runCli(["eval", "missing.jsonl"], ws);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the queries file missing.jsonl");
  });

  it("search and view refuse bad arguments with exit code 2 and say why, without blaming the index", async () => {
    const cases: [string[], string][] = [
      [["view", "src/http.ts:99-200"], "ostk-recall: src/http.ts has 5 lines: line 99 is past its end"],
      [["view", "src/http.ts:3-1"], "ostk-recall: endLine 1 is before startLine 3"],
      [["view", "src/nope.ts"], "ostk-recall: cannot read src/nope.ts: it does not exist in the workspace"],
      [["search", "header", "--since", "yesterdayish"], 'ostk-recall: cannot read the time "yesterdayish"'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, ws);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.stderr).not.toContain("The index was left as it was");
    }
    const ok = await runCli(["view", "src/http.ts:4-5"], ws);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("src/http.ts:4-5");
  });
});
