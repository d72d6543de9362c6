import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import { type RecallSocket, serveSocket } from "../../src/watch/socket-server.js";
import { makeWorkspace } from "../helpers/workspace.js";

function lines(sock: Socket): () => Promise<Record<string, unknown>> {
  let buf = "";
  const queue: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  sock.on("data", (d) => {
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(msg);
      else queue.push(msg);
      nl = buf.indexOf("\n");
    }
  });
  return () => {
    const m = queue.shift();
    return m ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
  };
}

describe(".ostk/recall.sock: triggers and JSON-RPC", () => {
  let ws: ReturnType<typeof makeWorkspace>;
  let recall: Recall;
  let server: RecallSocket;
  let sock: Socket;
  let next: () => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    ws = makeWorkspace();
    recall = await openRecall({ workspace: ws.dir });
    server = await serveSocket(recall, join(ws.dir, ".ostk", "recall.sock"), {
      debug() {},
      info() {},
      warn() {},
      error() {},
    });
    sock = connect(server.path);
    await new Promise((r) => sock.once("connect", r));
    next = lines(sock);
  });
  afterAll(async () => {
    sock.destroy();
    await server.close();
    await recall.close();
    ws.cleanup();
  });

  it("scans with recall/progress notifications and answers recall/search", async () => {
    sock.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "recall/scan", params: {} })}\n`);
    let msg = await next();
    let notes = 0;
    while (msg.method === "recall/progress") {
      notes++;
      msg = await next();
    }
    expect(notes).toBeGreaterThan(0);
    expect(msg).toMatchObject({ id: 1, result: { files: 6 } });
    sock.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "recall/search", params: { query: "least recently used" } })}\n`,
    );
    const r = (await next()) as { result: { hits: { path: string }[] } };
    expect(r.result.hits[0].path).toBe("src/cache/lru.ts");
    // the filters pass the protocol's validation and reach both lanes; hits carry source and time
    sock.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 5, method: "recall/search", params: { query: "configuration deployment", source: ["docs"], path: "*.md", since: "1h", until: new Date(Date.now() + 60_000).toISOString() } })}\n`,
    );
    const f = (await next()) as { result: { hits: { path: string; source: string; time: string }[] } };
    expect(f.result.hits.length).toBeGreaterThan(0);
    expect(f.result.hits.every((h) => h.path === "docs/guide.md" && h.source === "docs" && h.time)).toBe(
      true,
    );
    sock.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 6, method: "recall/search", params: { query: "x", since: "someday" } })}\n`,
    );
    expect(await next()).toMatchObject({
      id: 6,
      error: { code: -32602, message: expect.stringMatching(/2h/) },
    });
    sock.write(`${JSON.stringify({ jsonrpc: "2.0", id: 7, method: "recall/status", params: {} })}\n`);
    const st = (await next()) as { result: { sources: { name: string; chunks: number }[] } };
    expect(st.result.sources.map((x) => x.name)).toEqual(["code", "docs", "journal", "transcript"]);
  });

  it("re-indexes a path written as a trigger line", async () => {
    writeFileSync(join(ws.dir, "src/trig.ts"), "export function pelicanTrigger() {}\n");
    sock.write("src/trig.ts\n");
    for (let i = 0; i < 100 && !recall.store.getFile("src/trig.ts"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await recall.search("pelicanTrigger")).hits[0].path).toBe("src/trig.ts");
  });

  it("rescans the workspace on an empty line", async () => {
    writeFileSync(join(ws.dir, "src/blank.ts"), "export function heronRescan() {}\n");
    sock.write("\n");
    for (let i = 0; i < 100 && !recall.store.getFile("src/blank.ts"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await recall.search("heronRescan")).hits[0].path).toBe("src/blank.ts");
  });

  it("rejects bad frames with JSON-RPC errors", async () => {
    sock.write("{not json\n");
    expect(await next()).toMatchObject({ error: { code: -32700 } });
    sock.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 3, method: "recall/search", params: { limit: 5 } })}\n`,
    );
    expect(await next()).toMatchObject({ id: 3, error: { code: -32602 } });
    sock.write(`${JSON.stringify({ jsonrpc: "2.0", id: 4, method: "recall/nope" })}\n`);
    expect(await next()).toMatchObject({ id: 4, error: { code: -32601 } });
  });
});
