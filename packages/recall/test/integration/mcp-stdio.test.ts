import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";
import { makeWorkspace } from "../helpers/workspace.js";

describe("MCP over stdio with the official SDK client", () => {
  let ws: ReturnType<typeof makeWorkspace>;
  let client: Client;
  beforeAll(async () => {
    ws = makeWorkspace();
    client = new Client({ name: "recall-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, "--stdio"],
        cwd: ws.dir,
        stderr: "pipe",
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    ws?.cleanup();
  });

  it("lists the five tools with JSON schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "recall_scan",
      "recall_search",
      "recall_status",
      "recall_view",
      "recall_watch",
    ]);
    const search = tools.find((t) => t.name === "recall_search");
    expect(search?.inputSchema.required).toEqual(["query"]);
    expect(search?.outputSchema).toBeDefined();
  });

  it("scans with progress, searches, views a hit and reads status", async () => {
    const progress: number[] = [];
    const scan = await client.callTool({ name: "recall_scan", arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(scan.isError).toBeFalsy();
    expect((scan.structuredContent as { files: number }).files).toBe(6);
    expect(progress.length).toBeGreaterThan(0);

    const res = await client.callTool({
      name: "recall_search",
      arguments: { query: "parse an HTTP header line", limit: 5 },
    });
    const hits = (
      res.structuredContent as { hits: { id: string; path: string; symbol: string; lanes: string[] }[] }
    ).hits;
    expect(hits[0]).toMatchObject({ path: "src/http/parse-header.ts", symbol: "parseHTTPHeader" });
    expect((res.content as { text: string }[])[0].text).toContain("src/http/parse-header.ts");

    const view = await client.callTool({ name: "recall_view", arguments: { id: hits[0].id, context: 2 } });
    expect((view.structuredContent as { text: string }).text).toContain("export function parseHTTPHeader");

    const status = await client.callTool({ name: "recall_status", arguments: {} });
    const st = status.structuredContent as {
      files: number;
      chunks: number;
      vectors: number;
      embedder: { description: string };
      health: string;
    };
    expect(st).toMatchObject({ files: 6, health: "ok" });
    expect(st.vectors).toBe(st.chunks);
    expect(st.embedder.description).toMatch(/^(static|hash)/);
  });

  it("filters by source, path glob, language and time; hits and status say their sources", async () => {
    const search = async (args: Record<string, unknown>) =>
      (
        (
          await client.callTool({
            name: "recall_search",
            arguments: { query: "configuration port header", ...args },
          })
        ).structuredContent as { hits: { path: string; source: string; time: string | null }[] }
      ).hits;
    const docs = await search({ source: ["docs"], path: "*.md" });
    expect(new Set(docs.map((h) => h.path))).toEqual(new Set(["docs/guide.md"]));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.every((h) => h.source === "docs" && typeof h.time === "string")).toBe(true);
    const code = await search({ source: ["code"], path: "src/**/*.ts", lang: "typescript", since: "1h" });
    expect(code.length).toBeGreaterThan(0);
    expect(code.every((h) => h.source === "code" && h.path.endsWith(".ts"))).toBe(true);
    expect(await search({ until: "2d" })).toEqual([]);
    await expect(
      client.callTool({ name: "recall_search", arguments: { query: "x", since: "last week" } }),
    ).rejects.toThrow(/30m, 2h, 7d/);
    await expect(
      client.callTool({ name: "recall_search", arguments: { query: "x", source: ["email"] } }),
    ).rejects.toThrow(/source\[0\]: must be one of code, docs, transcript, journal/);
    const status = (await client.callTool({ name: "recall_status", arguments: {} })).structuredContent as {
      sources: { name: string; enabled: boolean; chunks: number }[];
    };
    expect(status.sources.map((s) => s.name)).toEqual(["code", "docs", "journal", "transcript"]);
    expect(status.sources.find((s) => s.name === "transcript")).toMatchObject({ enabled: false, chunks: 0 });
    expect(status.sources.find((s) => s.name === "code")?.chunks).toBeGreaterThan(0);
  });

  it("answers bad arguments with MCP errors and keeps serving", async () => {
    await expect(client.callTool({ name: "recall_search", arguments: { query: "" } })).rejects.toThrow(
      McpError,
    );
    await expect(
      client.callTool({ name: "recall_search", arguments: { query: "x", limit: "ten" } }),
    ).rejects.toThrow(/limit/);
    await expect(client.callTool({ name: "recall_view", arguments: {} })).rejects.toThrow(/id or path/);
    await expect(client.callTool({ name: "recall_nope", arguments: {} })).rejects.toThrow(/unknown tool/);
    await expect(
      client.callTool({ name: "recall_view", arguments: { path: "../../etc/passwd" } }),
    ).rejects.toThrow(/outside the workspace/);
    const missing = await client.callTool({
      name: "recall_view",
      arguments: { id: "000000000000000000000000" },
    });
    expect(missing.isError).toBe(true);
    const ok = await client.callTool({ name: "recall_watch", arguments: { action: "status" } });
    expect((ok.structuredContent as { running: boolean }).running).toBe(false);
  });
});
