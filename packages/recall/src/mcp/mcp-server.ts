import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Recall } from "../recall.js";
import { RecallError } from "../recall.js";
import { InvalidParamsError, type OperationName, runOperation } from "./operations.js";
import { PARAMS, RESULTS } from "./schemas.js";

const TOOLS: { name: string; op: OperationName; description: string }[] = [
  {
    name: "recall_search",
    op: "search",
    description:
      'Search the workspace (code, docs, notes) with hybrid BM25 + vector retrieval and reranking. Use it to find where something is implemented or documented; with source ["journal"], what happened (with a path: who changed that file and when; without: commands run, calls the policy refused, approvals, agent runs); with source ["transcript"], past Claude Code exchanges (when enabled). Filters: source, path (prefix or glob), lang, since/until (ISO or 2h, 7d). Returns hits with path, line range, symbol, snippet, score, source, time and the lanes that found them.',
  },
  {
    name: "recall_view",
    op: "view",
    description:
      "Show a search hit by its id, or a line range of a workspace file, with optional context lines.",
  },
  {
    name: "recall_scan",
    op: "scan",
    description: "Index the workspace (or one directory) now; sends progress notifications when asked.",
  },
  {
    name: "recall_watch",
    op: "watch",
    description: "Start, stop or report the debounced file watcher that keeps the index current.",
  },
  {
    name: "recall_status",
    op: "status",
    description:
      "Index counts, sources, which embedder and reranker run, vector index type, last scan, watcher state and index health.",
  },
];

/** An MCP server (official SDK, low-level API) exposing recall's tools. Bad arguments become MCP errors. */
export function createMcpServer(recall: Recall, version = "0.1.0"): Server {
  const server = new Server({ name: "ostk-recall", version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: PARAMS[t.op],
      outputSchema: RESULTS[t.op],
    })) as never,
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const tool = TOOLS.find((t) => t.name === req.params.name);
    if (!tool)
      throw new McpError(
        ErrorCode.InvalidParams,
        `unknown tool ${req.params.name}; tools: ${TOOLS.map((t) => t.name).join(", ")}`,
      );
    const token = req.params._meta?.progressToken;
    let last = 0;
    const onProgress =
      token === undefined
        ? undefined
        : (p: { phase: string; done: number; total: number; path?: string }) => {
            const now = Date.now();
            if (p.phase !== "done" && now - last < 100) return;
            last = now;
            void extra
              .sendNotification({
                method: "notifications/progress",
                params: {
                  progressToken: token,
                  progress: p.done,
                  total: p.total || undefined,
                  message: `${p.phase}${p.path ? ` ${p.path}` : ""}`,
                },
              })
              .catch(() => undefined);
          };
    try {
      const result = await runOperation(recall, tool.op, req.params.arguments ?? {}, onProgress);
      return { content: [{ type: "text", text: render(tool.op, result) }], structuredContent: result };
    } catch (err) {
      if (err instanceof InvalidParamsError)
        throw new McpError(ErrorCode.InvalidParams, err.message, { errors: err.errors });
      if (err instanceof RecallError) {
        if (err.kind === "NotFound") return { content: [{ type: "text", text: err.message }], isError: true };
        throw new McpError(ErrorCode.InvalidParams, err.message);
      }
      throw new McpError(
        ErrorCode.InternalError,
        `recall failed: ${(err as Error).message}. The index is unchanged; check \`ostk-recall status\`.`,
      );
    }
  });
  return server;
}

/** Compact text rendering for clients that ignore structuredContent. */
function render(op: OperationName, r: Record<string, unknown>): string {
  if (op === "search") {
    const hits = r.hits as {
      id: string;
      path: string;
      startLine: number;
      endLine: number;
      symbol: string | null;
      snippet: string;
      score: number;
      lanes: string[];
      source: string;
      time: string | null;
    }[];
    if (!hits.length) return "No hits.";
    return hits
      .map(
        (h, i) =>
          `${i + 1}. ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ""} (score ${h.score}, ${h.lanes.join("+")}, ${h.source}${h.time ? ` ${h.time}` : ""}, id ${h.id})\n${h.snippet}`,
      )
      .join("\n\n");
  }
  if (op === "view") return `${r.path}:${r.startLine}-${r.endLine}\n${r.text}`;
  return JSON.stringify(r, null, 2);
}

/** Serve MCP over stdio until the client disconnects. */
export async function serveStdio(recall: Recall): Promise<void> {
  const server = createMcpServer(recall);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((res) => {
    server.onclose = () => res();
  });
  await server.connect(transport);
  await closed;
}
