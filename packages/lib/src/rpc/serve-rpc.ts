import type { Server, Socket } from "node:net";
import { OstkRpcError, toRpcError } from "../errors.js";
import type { JournalPeer } from "../journal/entry.js";
import { METHODS } from "../protocol/generated/methods.js";
import type { CallerIdentity, RequestMeta } from "../protocol/generated/types.js";
import { validationErrors } from "../protocol/validate.js";
import { type TraceContext, withTrace } from "../trace/trace-context.js";
import type { Logger } from "../util/logger.js";
import { nodeModule } from "../util/node.js";
import { Conn, type RpcConnection } from "./connection.js";
import { DEFAULT_MAX_FRAME_BYTES, LineDecoder } from "./line-decoder.js";

export type { RpcConnection };

import { splitMeta, traceOf } from "./meta.js";
import { checkShape, errorResponse, type RpcRequest, type RpcResponse } from "./request-shape.js";
import { removeStaleSocket } from "./socket-file.js";

/** What a handler learns about the call besides its params. */
export interface RpcHandlerContext {
  /** The identity the caller claimed in `_meta.identity` (a daemon may narrow it, never trust it blindly). */
  identity?: CallerIdentity;
  traceId?: string;
  trace: TraceContext;
  meta: RequestMeta;
  method: string;
  /** Sends a notification to the calling connection only. */
  notify(method: string, params: Record<string, unknown>): void;
  /** Aborted when the caller disconnects or the server stops waiting for in-flight calls. */
  signal: AbortSignal;
  connection: RpcConnection;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers declare their own param types; params are validated against the protocol first
export type RpcHandler = (params: any, ctx: RpcHandlerContext) => unknown | Promise<unknown>;

export interface ServeRpcOptions {
  socketPath: string;
  handlers: Record<string, RpcHandler>;
  /** Cap on one inbound frame; larger frames get FrameTooLarge and the connection stays open. Default 8 MiB. */
  maxFrameBytes?: number;
  /**
   * Validate params against the protocol (default true). Methods the protocol
   * does not declare are still served (with a warning) unless `"strict"`.
   */
  validate?: boolean | "strict";
  /** Also check each result against the protocol and log mismatches (default false; development aid). */
  checkResults?: boolean;
  /** How long `close()` waits for in-flight calls before aborting them. Default 10 s. */
  drainTimeoutMs?: number;
  /** Socket file mode. Default 0o600 (only the owning user may connect). */
  mode?: number;
  logger?: Logger;
  /**
   * Who is on the other end of a new connection, from the operating system (e.g. SO_PEERCRED on
   * Linux), kept as `connection.peer`; undefined when it cannot be told. A throw counts as undefined.
   */
  peerOf?(socket: Socket): JournalPeer | undefined;
  onConnection?(conn: RpcConnection): void;
  /**
   * Receives every line that is not JSON-RPC (does not start with `{` or `[` after
   * leading whitespace; blank lines included, `\r` stripped) instead of answering it
   * with a parse error. For sockets that also take plain trigger lines. Nothing is
   * sent back for such a line; the callback may use `conn.notify`.
   */
  onRawLine?(line: string, conn: RpcConnection): void | Promise<void>;
}

export interface RpcServer {
  readonly socketPath: string;
  readonly connections: ReadonlySet<RpcConnection>;
  /** Number of calls being handled right now. */
  readonly inFlight: number;
  /** Sends a notification to every connection (or those `filter` accepts). */
  broadcast(method: string, params: Record<string, unknown>, filter?: (c: RpcConnection) => boolean): number;
  /** Stops accepting, lets in-flight calls finish (up to drainTimeoutMs), closes connections, removes the socket. */
  close(): Promise<void>;
}

/** Serves JSON-RPC 2.0 over a unix socket: one JSON object per line, validated against the protocol. */
export async function serveRpc(opts: ServeRpcOptions): Promise<RpcServer> {
  const net = nodeModule("node:net");
  const fs = nodeModule("node:fs");
  const path = nodeModule("node:path");
  const logger = opts.logger ?? {};
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const validate = opts.validate ?? true;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
  const connections = new Set<Conn>();
  const inFlight = new Set<Promise<unknown>>();
  const warned = new Set<string>();
  let closing = false;
  let nextId = 1;

  /** Runs one accepted request: the handler sees its params without `_meta`, inside its trace. */
  async function run(name: string, raw: unknown, conn: Conn): Promise<unknown> {
    const { params, meta } = splitMeta(raw);
    const trace = traceOf(meta);
    const ctx: RpcHandlerContext = {
      identity: meta.identity,
      traceId: trace.traceId,
      trace,
      meta,
      method: name,
      notify: (m, p) => conn.notify(m, p),
      signal: conn.abort.signal,
      connection: conn,
    };
    const result = await withTrace(trace, () => opts.handlers[name](params, ctx));
    if (opts.checkResults && METHODS[name]?.result && !METHODS[name].result?.(result ?? null)) {
      logger.warn?.(
        { method: name, errors: validationErrors(METHODS[name].result!, "result") },
        "rpc: result does not match the protocol",
      );
    }
    return result === undefined ? null : result;
  }

  function precheck(msg: Record<string, unknown>): OstkRpcError | null {
    const method = msg.method as string;
    if (!Object.hasOwn(opts.handlers, method)) {
      return new OstkRpcError("MethodNotFound", `method not found: ${method}`, { method });
    }
    if (closing)
      return new OstkRpcError("ShuttingDown", "the daemon is shutting down; retry after it restarts");
    if (!validate) return null;
    const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!spec) {
      if (validate === "strict")
        return new OstkRpcError("MethodNotFound", `method not in the protocol: ${method}`);
      if (!warned.has(method)) {
        warned.add(method);
        logger.warn?.({ method }, "rpc: method is not declared in the protocol; params are not validated");
      }
      return null;
    }
    if (!spec.params(msg.params ?? {})) {
      const errors = validationErrors(spec.params);
      return new OstkRpcError("InvalidParams", `invalid params for ${method}: ${errors.join("; ")}`, {
        errors,
      });
    }
    return null;
  }

  async function handleOne(conn: Conn, msg: unknown): Promise<RpcResponse | null> {
    const id = msg && typeof msg === "object" && "id" in msg ? (msg as { id: unknown }).id : undefined;
    const safeId = typeof id === "string" || typeof id === "number" ? id : null;
    const shape = checkShape(msg);
    if (shape) return errorResponse(safeId, shape);
    const req = msg as RpcRequest;
    const isNotification = !("id" in req);
    const bad = precheck(req as unknown as Record<string, unknown>);
    if (bad) {
      if (isNotification) {
        logger.debug?.({ method: req.method, err: bad.message }, "rpc: dropped a bad notification");
        return null;
      }
      return errorResponse(req.id ?? null, bad);
    }
    try {
      const result = await run(req.method, req.params, conn);
      return isNotification ? null : { jsonrpc: "2.0", id: req.id ?? null, result };
    } catch (err) {
      const e = toRpcError(err);
      if (e.kind === "InternalError") logger.error?.({ err }, "rpc: handler failed");
      return isNotification ? null : errorResponse(req.id, e);
    }
  }

  async function onFrame(conn: Conn, text: string): Promise<void> {
    if (opts.onRawLine) {
      const first = text.trimStart()[0];
      if (first !== "{" && first !== "[") {
        await opts.onRawLine(text.replace(/\r$/, ""), conn);
        return;
      }
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      conn.send(
        errorResponse(null, new OstkRpcError("ParseError", `parse error: ${(err as Error).message}`)),
      );
      return;
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) {
        conn.send(errorResponse(null, new OstkRpcError("InvalidRequest", "invalid request: empty batch")));
        return;
      }
      const out = (await Promise.all(msg.map((m) => handleOne(conn, m)))).filter((r) => r !== null);
      if (out.length) conn.send(out);
      return;
    }
    const res = await handleOne(conn, msg);
    if (res) conn.send(res);
  }

  function track(p: Promise<unknown>): void {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => {});
  }

  await removeStaleSocket(opts.socketPath);
  fs.mkdirSync(path.dirname(opts.socketPath), { recursive: true });
  const server: Server = net.createServer((socket) => {
    let peer: JournalPeer | undefined;
    try {
      peer = opts.peerOf?.(socket);
    } catch (err) {
      logger.debug?.({ err }, "rpc: could not read the peer's credentials");
    }
    const conn = new Conn(nextId++, socket, maxFrameBytes, logger, peer);
    connections.add(conn);
    const decoder = new LineDecoder(maxFrameBytes, opts.onRawLine !== undefined);
    socket.on("data", (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.kind === "oversize") {
          const err = new OstkRpcError(
            "FrameTooLarge",
            `frame of ${f.bytes} bytes exceeds the ${maxFrameBytes}-byte cap; it was discarded and the connection stays open`,
            { bytes: f.bytes, max: maxFrameBytes },
          );
          conn.send(errorResponse(null, err));
          continue;
        }
        track(
          onFrame(conn, f.text).catch((err) => {
            logger.error?.({ err }, "rpc: frame handling failed");
          }),
        );
      }
    });
    socket.on("error", (err) => logger.debug?.({ err, conn: conn.id }, "rpc: socket error"));
    socket.on("close", () => {
      connections.delete(conn);
      conn.markClosed();
    });
    try {
      opts.onConnection?.(conn);
    } catch (err) {
      logger.warn?.({ err }, "rpc: onConnection failed");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  try {
    fs.chmodSync(opts.socketPath, opts.mode ?? 0o600);
  } catch {}

  let closed: Promise<void> | null = null;
  return {
    socketPath: opts.socketPath,
    connections,
    get inFlight() {
      return inFlight.size;
    },
    broadcast(method, params, filter) {
      let n = 0;
      for (const c of connections) {
        if (c.closed || (filter && !filter(c))) continue;
        c.notify(method, params);
        n++;
      }
      return n;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        let timer: ReturnType<typeof setTimeout> | undefined;
        let timedOut = false;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            timedOut = true;
            for (const c of connections)
              c.abort.abort(new OstkRpcError("ShuttingDown", "the daemon is shutting down"));
            resolve();
          }, drainTimeoutMs);
        });
        while (inFlight.size && !timedOut) await Promise.race([Promise.allSettled([...inFlight]), timeout]);
        clearTimeout(timer);
        for (const c of connections) c.socket.end();
        await new Promise((r) => setTimeout(r, 10));
        for (const c of connections) c.socket.destroy();
        await stopped;
        fs.rmSync(opts.socketPath, { force: true });
      })();
      return closed;
    },
  };
}
