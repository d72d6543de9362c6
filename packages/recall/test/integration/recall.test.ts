import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import { makeWorkspace } from "../helpers/workspace.js";

describe("openRecall: scan, search, view, status", () => {
  let ws: ReturnType<typeof makeWorkspace>;
  let recall: Recall;
  beforeAll(async () => {
    ws = makeWorkspace();
    recall = await openRecall({ workspace: ws.dir });
  });
  afterAll(async () => {
    await recall.close();
    ws.cleanup();
  });

  it("indexes text files, honouring .gitignore and skipping binaries", async () => {
    const r = await recall.scan();
    expect(r.files).toBe(6); // .gitignore, 4 sources, guide.md
    const st = await recall.status();
    expect(st.files).toBe(6);
    expect(st.vectors).toBe(st.chunks);
    expect(st.embedder.description).toMatch(/static|hash/);
    const hits = (await recall.search("parseHTTPHeader")).hits;
    expect(hits.map((h) => h.path)).not.toContain("dist/bundle.js");
    expect(hits.map((h) => h.path)).not.toContain("debug.log");
  });

  it("finds split identifiers from natural language and favours exact symbols", async () => {
    const nl = await recall.search("parse header");
    expect(nl.hits[0].path).toBe("src/http/parse-header.ts");
    expect(nl.hits[0].symbol).toBe("parseHTTPHeader");
    expect(nl.hits[0].lanes).toContain("bm25");
    const ident = await recall.search("retry_with_backoff");
    expect(ident.hits[0].symbol).toBe("retry_with_backoff");
    const md = await recall.search("deployment");
    expect(md.hits[0]).toMatchObject({ path: "docs/guide.md", symbol: "Guide > Deployment" });
  });

  it("views a hit with context and a path range", async () => {
    const hit = (await recall.search("least recently used")).hits[0];
    expect(hit.path).toBe("src/cache/lru.ts");
    const v = await recall.view({ id: hit.id, context: 1 });
    expect(v.text).toContain("Evict the least recently used");
    const r = await recall.view({ path: "src/server.go", startLine: 3, endLine: 4 });
    expect(r.text).toBe(
      "// ListenAndServe starts the HTTP server on the given address.\nfunc ListenAndServe(addr string) error {",
    );
    // the range stops at the last line (the final newline does not count as a line)
    expect(await recall.view({ path: "src/server.go", startLine: 5 })).toMatchObject({
      startLine: 5,
      endLine: 6,
      totalLines: 6,
      text: "\treturn nil\n}",
    });
    await expect(recall.view({ path: "src/server.go", startLine: 7 })).rejects.toMatchObject({
      kind: "InvalidParams",
      message: "src/server.go has 6 lines: line 7 is past its end",
    });
    await expect(recall.view({ path: "src/server.go", startLine: 4, endLine: 3 })).rejects.toMatchObject({
      kind: "InvalidParams",
      message: "endLine 3 is before startLine 4",
    });
    await expect(recall.view({ id: "nope" })).rejects.toThrow(/no chunk/);
    expect(() => recall.relPath("/etc/passwd")).toThrow(/outside the workspace/);
  });

  it("re-scans incrementally: unchanged files are not re-chunked, deletes leave the index", async () => {
    const again = await recall.scan();
    expect(again.changedFiles).toBe(0);
    expect(again.chunksAdded).toBe(0);
    writeFileSync(
      join(ws.dir, "src/server.go"),
      "package server\n\n// Shutdown stops accepting connections gracefully.\nfunc Shutdown() {}\n",
    );
    rmSync(join(ws.dir, "src/retry.py"));
    const inc = await recall.scan();
    expect(inc.changedFiles).toBe(1);
    expect(inc.removedFiles).toBe(1);
    expect((await recall.search("retry_with_backoff")).hits.some((h) => h.path === "src/retry.py")).toBe(
      false,
    );
    expect((await recall.search("stop accepting connections")).hits[0].symbol).toBe("Shutdown");
    const st = await recall.status();
    expect(st.vectors).toBe(st.chunks);
  });
});
