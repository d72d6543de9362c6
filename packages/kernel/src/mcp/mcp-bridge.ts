import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { type EnvelopeData, formatEnvelope, OstkRpcError } from "@ostk/lib";
import { readHeader } from "../syscalls/read-header.js";
import { BASH_TOOL, FILE_TOOLS, type ToolSpec } from "./tools.js";

/** The slice of a kernel client the bridge needs (KernelClient satisfies it). */
export interface KernelCaller {
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
}

export interface McpBridgeOptions {
  /** Connect to the kernel as this MCP client; called once, after `initialize`, with the client's clientInfo. */
  connect(client: { name: string; version: string }): Promise<KernelCaller>;
  /** Offer the bash tool (the daemon serves `exec`). */
  bash?: boolean;
  version?: string;
}

interface GenRowLite {
  path: string;
  gen: number;
  writer: string;
  ts: number;
}

/**
 * An MCP server (official SDK, low-level Server so the tools' JSON schemas are exactly ours) that
 * forwards each tool call to the kernel as the MCP client's identity, tracks the generation this
 * session last saw per file (so edits carry it and others' changes are never overwritten
 * silently), and ends every result with a status envelope.
 */
export function createMcpBridge(opts: McpBridgeOptions): Server {
  const tools = opts.bash ? [...FILE_TOOLS, BASH_TOOL] : FILE_TOOLS;
  const byName = new Map(tools.map((t) => [t.name, t]));
  const server = new Server(
    { name: "ostk", version: opts.version ?? "0.1.0" },
    {
      capabilities: { tools: {} },
      instructions:
        "ostk governs this workspace: use these tools for file access. Every change is atomic, journaled and signed; if a file changed since you read it you get a revision conflict — re-read and retry.",
    },
  );
  let kernel: Promise<KernelCaller> | null = null;
  const seen = new Map<string, number>();
  const getKernel = () => {
    kernel ??= opts.connect(server.getClientVersion() ?? { name: "mcp-client", version: "" });
    return kernel;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const spec = byName.get(req.params.name);
    if (!spec) return { isError: true, content: [{ type: "text", text: `unknown tool ${req.params.name}` }] };
    const args = { ...(req.params.arguments ?? {}) } as Record<string, unknown>;
    let k: KernelCaller;
    try {
      k = await getKernel();
    } catch (err) {
      return {
        isError: true,
        content: [{ type: "text", text: `the ostk kernel is not reachable: ${(err as Error).message}` }],
      };
    }
    try {
      const text = await runTool(k, spec, args, seen);
      return { content: [{ type: "text", text: formatEnvelope(text, await envelopeLines(k, seen)) }] };
    } catch (err) {
      const e = err instanceof OstkRpcError ? err : null;
      const msg = e
        ? `${e.kind}: ${e.message}${e.data ? `\n${JSON.stringify(e.data)}` : ""}`
        : String((err as Error)?.message ?? err);
      if (e?.kind === "RevisionConflict" && typeof e.data?.path === "string") seen.delete(e.data.path);
      const lines = await envelopeLines(k, seen).catch(() => []);
      return { isError: true, content: [{ type: "text", text: formatEnvelope(msg, lines) }] };
    }
  });
  return server;
}

async function runTool(
  k: KernelCaller,
  spec: ToolSpec,
  args: Record<string, unknown>,
  seen: Map<string, number>,
): Promise<string> {
  if (
    (spec.name === "edit" || spec.name === "write") &&
    args.expected_gen === undefined &&
    typeof args.path === "string"
  ) {
    const g = seen.get(args.path);
    if (g !== undefined) args.expected_gen = g;
  }
  const r = (await k.call(spec.method, args)) as Record<string, unknown>;
  switch (spec.name) {
    case "read": {
      seen.set(String(r.path), Number(r.gen));
      const head = readHeader(r);
      return r.encoding === "base64"
        ? `${head}\n(binary, ${r.size} bytes, base64)\n${r.content}`
        : `${head}\n${r.content}`;
    }
    case "write":
    case "edit": {
      seen.set(String(r.path), Number(r.gen));
      return `${r.path}: written, gen=${r.gen}${r.merged ? ` — ${r.note}` : ""}`;
    }
    case "ls":
      return (
        (r.entries as { path: string; type: string; size?: number }[])
          .map(
            (e) => `${e.path}${e.type === "dir" ? "/" : ""}${e.size !== undefined ? ` (${e.size} B)` : ""}`,
          )
          .join("\n") || "(empty)"
      );
    case "glob":
      return (r.paths as string[]).join("\n") || "(no matches)";
    case "grep":
      return (
        (r.matches as { path: string; line: number; text: string }[])
          .map((m) => `${m.path}:${m.line}: ${m.text}`)
          .join("\n") || "(no matches)"
      );
    case "bash": {
      const files = (r.files as { changed: string[]; created: string[]; deleted: string[] } | undefined) ?? {
        changed: [],
        created: [],
        deleted: [],
      };
      const touched = [...files.created, ...files.changed, ...files.deleted];
      return [
        r.stdout ? String(r.stdout) : "",
        r.stderr ? `[stderr]\n${r.stderr}` : "",
        `[exit ${r.exitCode ?? r.signal}${r.timedOut ? ", timed out" : ""}${touched.length ? `, changed: ${touched.join(", ")}` : ""}]`,
      ]
        .filter(Boolean)
        .join("\n");
    }
    default:
      return JSON.stringify(r);
  }
}

function age(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/** The status envelope (lib's format): `[files] path:gen=N:writer:age` for files others changed since this session saw them. */
async function envelopeLines(k: KernelCaller, seen: Map<string, number>): Promise<EnvelopeData[]> {
  if (!seen.size) return [];
  const { rows } = (await k.call("gen/lookup", { paths: [...seen.keys()].slice(0, 500) })) as {
    rows: GenRowLite[];
  };
  const now = Date.now();
  const stale = rows
    .filter((r) => (seen.get(r.path) ?? r.gen) < r.gen)
    .map((r) => ({ path: r.path, gen: r.gen, writer: r.writer, age: age(now - r.ts), ageMs: now - r.ts }));
  return stale.length ? [{ kind: "files", files: stale }] : [];
}
