import type { RpcHandler, RpcServer } from "@ostk/lib";
import type { Logger } from "../logger.js";
import { InvalidParamsError, type OperationName, runOperation } from "../mcp/operations.js";
import { type Recall, RecallError } from "../recall.js";

const METHODS: Record<string, OperationName> = {
  "recall/search": "search",
  "recall/view": "view",
  "recall/scan": "scan",
  "recall/status": "status",
  "recall/watch": "watch",
};
const MAX_FRAME = 1024 * 1024;

export interface RecallSocket {
  path: string;
  close(): Promise<void>;
}

/**
 * `.ostk/recall.sock`, served by `@ostk/lib`'s `serveRpc` (the one JSON-RPC
 * mechanism of every ostk daemon: frame cap, params validated against the
 * protocol, `_meta` split off, catalog error codes). Two kinds of line:
 * - JSON-RPC 2.0 (a line starting with `{` or `[`): recall/search, recall/view,
 *   recall/scan (with `recall/progress` notifications), recall/status, recall/watch;
 * - trigger (any other line, via `onRawLine`): a workspace path re-indexes it
 *   (debounced when watching); an empty line asks for a rescan.
 */
export async function serveSocket(recall: Recall, socketPath: string, logger: Logger): Promise<RecallSocket> {
  const { serveRpc, OstkRpcError } = await import("@ostk/lib");
  const handlers: Record<string, RpcHandler> = {};
  for (const [method, op] of Object.entries(METHODS)) {
    handlers[method] = async (params, ctx) => {
      try {
        return await runOperation(recall, op, params, (p) => ctx.notify("recall/progress", { ...p }));
      } catch (err) {
        if (err instanceof InvalidParamsError)
          throw new OstkRpcError("InvalidParams", err.message, { errors: err.errors });
        if (err instanceof RecallError) throw new OstkRpcError(err.kind, err.message);
        throw err;
      }
    };
  }
  let server: RpcServer;
  try {
    server = await serveRpc({
      socketPath,
      handlers,
      maxFrameBytes: MAX_FRAME,
      logger,
      onRawLine: async (line) => {
        const path = line.trim();
        try {
          await recall.trigger(path ? [path] : []);
        } catch (err) {
          logger.warn({ err, line: path }, "trigger ignored");
        }
      },
    });
  } catch (err) {
    throw new Error(
      `cannot serve ${socketPath}: ${(err as Error).message}; is another recall server running?`,
    );
  }
  return { path: server.socketPath, close: () => server.close() };
}
