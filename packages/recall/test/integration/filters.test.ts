import { spawnSync } from "node:child_process";
import { utimesSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import type { Lane } from "../../src/query/search.js";
import { CLI } from "../helpers/cli.js";
import { makeWorkspace } from "../helpers/workspace.js";

describe("search filters on both lanes (real SQLite FTS5 and LanceDB)", () => {
  let ws: ReturnType<typeof makeWorkspace>;
  let recall: Recall;
  const tenDaysAgo = Date.now() - 10 * 86_400_000;
  beforeAll(async () => {
    ws = makeWorkspace();
    // the guide was last changed ten days ago; everything else now
    utimesSync(join(ws.dir, "docs/guide.md"), tenDaysAgo / 1000, tenDaysAgo / 1000);
    recall = await openRecall({ workspace: ws.dir });
    await recall.scan();
  });
  afterAll(async () => {
    await recall.close();
    ws.cleanup();
  });

  const lanes: Lane[][] = [["bm25"], ["vector"]];
  const paths = async (q: string, o: Parameters<Recall["search"]>[1]) =>
    (await recall.search(q, { limit: 20, ...o })).hits.map((h) => h.path);

  it.each(lanes)("source, path glob and lang (%s lane)", async (lane) => {
    const q = "configuration port server header cache";
    const docs = await paths(q, { lanes: [lane], source: ["docs"] });
    expect(docs.length).toBeGreaterThan(0);
    expect(new Set(docs)).toEqual(new Set(docs.filter((p) => p === "docs/guide.md" || p === ".gitignore")));
    const code = await paths(q, { lanes: [lane], source: ["code"] });
    expect(code.length).toBeGreaterThan(0);
    expect(code.every((p) => p.startsWith("src/"))).toBe(true);
    const glob = await paths(q, { lanes: [lane], path: "src/**/*.ts" });
    expect(glob.length).toBeGreaterThan(0);
    expect(glob.every((p) => p.startsWith("src/") && p.endsWith(".ts"))).toBe(true);
    const md = await paths(q, { lanes: [lane], path: "*.md" });
    expect(new Set(md)).toEqual(new Set(["docs/guide.md"]));
    const go = await paths(q, { lanes: [lane], lang: "go" });
    expect(new Set(go)).toEqual(new Set(["src/server.go"]));
  });

  it.each(lanes)("since / until by the content's time (%s lane)", async (lane) => {
    const q = "configuration deployment port parse header";
    const recent = await paths(q, { lanes: [lane], since: "2d" });
    expect(recent.length).toBeGreaterThan(0);
    expect(recent).not.toContain("docs/guide.md");
    const old = await paths(q, { lanes: [lane], until: "5d" });
    expect(new Set(old)).toEqual(new Set(["docs/guide.md"]));
    const iso = new Date(tenDaysAgo - 60_000).toISOString();
    expect(await paths(q, { lanes: [lane], since: iso, until: "9d" })).toEqual(
      expect.arrayContaining(["docs/guide.md"]),
    );
  });

  it("hits say their source and time", async () => {
    const [hit] = (await recall.search("deployment", { path: "docs/" })).hits;
    expect(hit).toMatchObject({ path: "docs/guide.md", source: "docs" });
    expect(Math.abs(Date.parse(hit.time as string) - tenDaysAgo)).toBeLessThan(2000);
    const [code] = (await recall.search("parseHTTPHeader")).hits;
    expect(code.source).toBe("code");
  });

  it("the CLI takes --source, --path (glob), --lang, --since/--until and prints sources in status", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args, "-C", ws.dir], { encoding: "utf8", timeout: 60_000 });
    const docs = run("search", "configuration port", "--source", "docs", "--path", "*.md", "--json");
    expect(docs.status).toBe(0);
    const hits = JSON.parse(docs.stdout).hits as { path: string; source: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.path === "docs/guide.md" && h.source === "docs")).toBe(true);
    const recent = run(
      "search",
      "deployment configuration header",
      "--since",
      "2d",
      "--lang",
      "markdown",
      "--json",
    );
    expect(JSON.parse(recent.stdout).hits).toEqual([]);
    const bad = run("search", "x", "--since", "soon");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/cannot read the time "soon".*2h/);
    const status = run("status");
    expect(status.stdout).toMatch(/source code\s+\d+ chunks/);
    expect(status.stdout).toMatch(/source transcript\s+off/);
  });

  it("a bad filter is an InvalidParams error that says what works", async () => {
    await expect(recall.search("x", { since: "last tuesday" })).rejects.toMatchObject({
      kind: "InvalidParams",
      message: expect.stringMatching(/2h/),
    });
    await expect(recall.search("x", { source: ["mail" as never] })).rejects.toMatchObject({
      kind: "InvalidParams",
    });
  });
});

describe("leaving out a source by post-filtering a wider search gives the filtered top-k", () => {
  it("BM25 and the vector lane agree with the filter applied inside the query", async () => {
    const { SqliteStore } = await import("../../src/store/sqlite-store.js");
    const { VectorStore } = await import("../../src/store/vector-store.js");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "recall-post-"));
    const store = new SqliteStore(":memory:");
    const vectors = await VectorStore.open(join(dir, "v"), 8);
    try {
      // journal events crowd the top of both lanes: the wider search must look past them
      const chunks = Array.from({ length: 400 }, (_, i) => {
        const journal = i % 4 !== 0;
        return {
          id: `c${i}`,
          source: journal ? "journal" : "code",
          path: `src/f${i}.ts`,
          startLine: 1,
          endLine: 1,
          symbol: null,
          kind: journal ? "event" : "function",
          lang: "typescript",
          text: `${"ledger ".repeat(journal ? 3 : 1 + (i % 3))}balance ${i}`,
          ts: 1000 + i,
        };
      });
      store.insertChunks(chunks);
      const vec = (i: number) =>
        Float32Array.from({ length: 8 }, (_, k) => Math.cos(i * 0.01 + k) + (i % 4 !== 0 ? 2 : 0));
      await vectors.add(chunks.map((c, i) => ({ ...c, vector: vec(i) })));
      const sources = ["code", "docs", "transcript"] as ("code" | "docs" | "transcript")[];
      const expr = store.matchExpression(["ledger", "balance"]) as string;
      for (const limit of [5, 40, 120]) {
        const post = store.bm25(expr, limit, { sources });
        const inside = store.bm25(expr, limit, { sources, since: 0 }); // any other filter forces the SQL plan
        expect(post.map((h) => h.id)).toEqual(inside.map((h) => h.id));
        expect(post.length).toBe(Math.min(limit, 100));
        const q = vec(2);
        const vPost = await vectors.search(q, limit, { sources });
        const vInside = await vectors.search(q, limit, { sources, since: 0 });
        expect(vPost.map((h) => h.id)).toEqual(vInside.map((h) => h.id));
        expect(vPost.every((h) => Number(h.id.slice(1)) % 4 === 0)).toBe(true);
      }
    } finally {
      vectors.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
