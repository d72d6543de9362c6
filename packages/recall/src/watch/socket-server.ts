import { existsSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Logger } from "../logger.js";
import { InvalidParamsError, type OperationName, runOperation } from "../mcp/operations.js";
import { type Recall, RecallError } from "../recall.js";

const MAX_FRAME = 1024 * 1024;
const METHODS: Record<string, OperationName> = {
  "recall/search": "search",
  "recall/view": "view",
  "recall/scan": "scan",
  "recall/status": "status",
  "recall/watch": "watch",
};
// JSON-RPC codes from @ostk/lib's catalog (kept local so this file has no runtime dependency on lib's server yet)
const CODES = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  NotFound: -32005,
  PathOutsideWorkspace: -32004,
  FrameTooLarge: -32009,
};

export interface RecallSocket {
  path: string;
  close(): Promise<void>;
}

/**
 * `.ostk/recall.sock`. Two protocols on one socket, told apart per line:
 * - trigger: a workspace path per line re-indexes it (debounced when watching); an empty line asks for a rescan;
 * - JSON-RPC 2.0, one object per line (a line starting with `{`): recall/search, recall/view, recall/scan
 *   (with `recall/progress` notifications), recall/status, recall/watch.
 * Seam: when @ostk/lib's `serveRpc` lands, the JSON-RPC half moves onto it; the trigger half stays.
 */
export async function serveSocket(recall: Recall, socketPath: string, logger: Logger): Promise<RecallSocket> {
  if (existsSync(socketPath)) {
    const alive = await new Promise<boolean>((res) => {
      const s = connect(socketPath, () => {
        s.destroy();
        res(true);
      });
      s.on("error", () => res(false));
    });
    if (alive) throw new Error(`another recall server is listening on ${socketPath}; stop it first`);
    unlinkSync(socketPath);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (data: string) => {
      buf += data;
      if (buf.length > MAX_FRAME && !buf.includes("\n")) {
        write(sock, {
          jsonrpc: "2.0",
          id: null,
          error: { code: CODES.FrameTooLarge, message: `frame larger than ${MAX_FRAME} bytes` },
        });
        sock.destroy();
        return;
      }
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        void handleLine(recall, sock, line, logger);
        nl = buf.indexOf("\n");
      }
    });
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(socketPath, () => res());
  });
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.end();
        server.close(() => res());
        if (existsSync(socketPath)) {
          try {
            unlinkSync(socketPath);
          } catch {}
        }
      }),
  };
}

function write(sock: Socket, msg: unknown): void {
  if (!sock.destroyed) sock.write(`${JSON.stringify(msg)}\n`);
}

async function handleLine(recall: Recall, sock: Socket, line: string, logger: Logger): Promise<void> {
  if (!line.trimStart().startsWith("{")) {
    try {
      await recall.trigger(line.trim() ? [line.trim()] : []);
    } catch (err) {
      logger.warn({ err, line }, "trigger ignored");
    }
    return;
  }
  let req: { jsonrpc?: string; id?: string | number | null; method?: string; params?: unknown };
  try {
    req = JSON.parse(line);
  } catch {
    write(sock, { jsonrpc: "2.0", id: null, error: { code: CODES.ParseError, message: "invalid JSON" } });
    return;
  }
  const id = req.id ?? null;
  if (req.jsonrpc !== "2.0" || typeof req.method !== "string") {
    write(sock, {
      jsonrpc: "2.0",
      id,
      error: { code: CODES.InvalidRequest, message: "expected a JSON-RPC 2.0 request" },
    });
    return;
  }
  const op = METHODS[req.method];
  if (!op) {
    if (req.id !== undefined)
      write(sock, {
        jsonrpc: "2.0",
        id,
        error: { code: CODES.MethodNotFound, message: `unknown method ${req.method}` },
      });
    return;
  }
  try {
    // `_meta` is the protocol envelope (identity, traceparent) that @ostk/lib's RpcClient adds to every call.
    const { _meta, ...params } = (req.params ?? {}) as Record<string, unknown>;
    const result = await runOperation(recall, op, params, (p) =>
      write(sock, { jsonrpc: "2.0", method: "recall/progress", params: p }),
    );
    if (req.id !== undefined) write(sock, { jsonrpc: "2.0", id, result });
  } catch (err) {
    const e = err as Error;
    const code =
      err instanceof InvalidParamsError
        ? CODES.InvalidParams
        : err instanceof RecallError
          ? err.kind === "NotFound"
            ? CODES.NotFound
            : err.kind === "PathOutsideWorkspace"
              ? CODES.PathOutsideWorkspace
              : CODES.InvalidParams
          : CODES.InternalError;
    if (req.id !== undefined) write(sock, { jsonrpc: "2.0", id, error: { code, message: e.message } });
  }
}
