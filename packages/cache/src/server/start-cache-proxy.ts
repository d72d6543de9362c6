import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join, resolve } from "node:path";
import httpProxy from "@fastify/http-proxy";
import Fastify, { type FastifyInstance } from "fastify";
import { type CacheConfig, type ConfigInput, loadConfig } from "../config";
import { followChanges, kernelProjection } from "../invalidation";
import type { LedgerRow } from "../ledger/ledger";
import { Ledger } from "../ledger/ledger";
import { type LedgerSummary, readLedger, summarize } from "../ledger/summarize";
import { redact } from "../lib-seam";
import { ResponseCache } from "../response-cache/response-cache";
import type { CacheStore } from "../store/cache-store";
import { createRedisStore } from "../store/redis-store";
import { createSqliteStore } from "../store/sqlite-store";
import { createFastPath, MODEL_ROUTES, tooLargeMessage } from "./fast-path";
import { handleCountTokens, handleModelRequest } from "./model-route";
import { providerErrorBody } from "./provider-error";
import { type Counters, type LoggerLike, newCounters, type ProxyState } from "./proxy-state";

export interface StartCacheProxyOptions extends ConfigInput {
  /** Project root holding `.ostk/` (default: cwd). */
  workspace?: string;
  logger?: LoggerLike;
  /** Skip `.ostk/config.toml` and OSTK_CACHE_* (tests, embedding). */
  ignoreConfigFiles?: boolean;
  /** More files with a `[cache]` table, read after `.ostk/config.toml` (`--config`; each must exist). */
  configFiles?: string[];
  /** Name CLI flags in config errors (`{ port: "--port" }`). */
  flagNames?: Record<string, string>;
  /** A store to use instead of the configured driver. */
  store?: CacheStore;
  /** Follow kernel/journal changes to invalidate (default: config.kernel.invalidation). */
  followChanges?: boolean;
  onRow?: (row: LedgerRow) => void;
}

export interface CacheProxy {
  url: string;
  host: string;
  port: number;
  config: CacheConfig;
  warnings: string[];
  /** Marks stale the cached responses whose requests mentioned these paths or carried this old content. */
  invalidate(change: { paths?: string[]; contents?: string[] }): Promise<number>;
  /** Counters since start, store size, invalidation feed, and a ledger summary over `window` (default 24h). */
  stats(window?: string): Promise<{
    counters: Counters;
    store?: { driver: string; entries: number; bytes: number; stale: number };
    invalidation: string;
    ledger: LedgerSummary;
  }>;
  /** JSON-RPC handlers for `cache/stats` and `cache/invalidate` (for lib's serveRpc, as ostkd mounts them). */
  rpcHandlers(): Record<string, (params: Record<string, unknown>) => Promise<unknown>>;
  /** Stops accepting, finishes in-flight requests and streams, closes the store and the ledger. */
  close(): Promise<void>;
  app: FastifyInstance;
}

function loadSecret(dir: string): Buffer {
  const env = process.env.OSTK_CACHE_HMAC_SECRET;
  if (env) return createHash("sha256").update(env).digest();
  const path = join(dir, "cache.key");
  if (!existsSync(path)) {
    try {
      writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    } catch {
      // Another process created it first.
    }
  }
  return Buffer.from(readFileSync(path, "utf8").trim(), "hex");
}

/** Starts the proxy. Everything it writes lives under `<workspace>/.ostk/`. */
export async function startCacheProxy(opts: StartCacheProxyOptions = {}): Promise<CacheProxy> {
  const {
    workspace: ws,
    logger,
    ignoreConfigFiles,
    configFiles,
    flagNames,
    store: givenStore,
    followChanges: follow,
    onRow,
    ...flags
  } = opts;
  const workspace = resolve(ws ?? process.cwd());
  const { config, warnings } = loadConfig(workspace, flags, process.env, {
    ignoreConfigFiles,
    files: configFiles,
    flagNames,
  });
  const ostk = join(workspace, ".ostk");
  mkdirSync(join(ostk, "memory"), { recursive: true });
  const secret = loadSecret(ostk);
  const workspaceId = createHash("sha256").update(realpathSync(workspace)).digest("hex").slice(0, 12);
  const store =
    givenStore ??
    (config.responseCache.driver === "redis"
      ? createRedisStore({ url: config.responseCache.redisUrl! })
      : createSqliteStore({ path: join(ostk, "cache.db") }));
  const responseCache = config.responseCache.enabled
    ? new ResponseCache({ store, secret, workspace, ...config.responseCache })
    : undefined;
  if (config.enrich.enabled && !config.enrich.socketPath)
    config.enrich.socketPath = join(ostk, "recall.sock");
  const state: ProxyState = {
    config,
    workspace,
    workspaceId,
    promptCacheKey: `ostk-${workspaceId}`,
    secret,
    ledger: new Ledger(join(ostk, "memory", "ledger.jsonl")),
    responseCache,
    logger,
    counters: newCounters(),
    projection:
      config.mode === "rebuild-kernel"
        ? kernelProjection(workspace, config.kernel.socketPath, config.kernel.projectionTimeoutMs)
        : undefined,
    onRow,
  };
  const invalidate = async (change: { paths?: string[]; contents?: string[] }) => {
    const n = responseCache ? await responseCache.invalidate(change) : 0;
    state.counters.invalidated += n;
    return n;
  };

  // The model routes are the hot path: a request listener in front of Fastify serves them straight
  // from the raw request (read once into one buffer, no routing, hooks or reply objects). Fastify keeps
  // identical routes for everything else that reaches it (inject, and requests while closing, which it
  // answers 503).
  let fastPath = true;
  const fast = createFastPath(state, () => fastPath);
  const app = Fastify({
    bodyLimit: config.bodyLimitBytes,
    logger: false,
    return503OnClosing: true,
    serverFactory: (handler) => {
      const server = createServer({ noDelay: true }, (req, res) => {
        if (!fast(req, res)) handler(req, res);
      });
      // Fastify's own defaults for the server it would have created.
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
  });

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: config.bodyLimitBytes },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      const provider = req.url.startsWith("/v1/messages") ? "anthropic" : "openai";
      const message =
        status === 413
          ? tooLargeMessage(config.bodyLimitBytes)
          : `ostk-cache could not handle the request: ${err.message}`;
      void reply
        .code(status)
        .type("application/json")
        .send(providerErrorBody(provider, status, message));
    });
    const bodyOf = (req: { body?: unknown }) => (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    for (const [path, route] of MODEL_ROUTES)
      scope.post(path, (req, reply) => {
        reply.hijack();
        return handleModelRequest(state, route, req.raw, reply.raw, bodyOf(req));
      });
    scope.post("/v1/messages/count_tokens", (req, reply) => {
      reply.hijack();
      return handleCountTokens(state, req.raw, reply.raw, bodyOf(req));
    });
    scope.post("/hook/event", async (req, reply) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse((req.body as Buffer).toString("utf8"));
      } catch {
        return reply.code(400).send({ error: "hook event must be JSON" });
      }
      appendFileSync(
        join(ostk, "memory", "hooks.jsonl"),
        `${JSON.stringify(redact({ ts: new Date().toISOString(), event }))}\n`,
        {
          mode: 0o600,
        },
      );
      // Claude Code PostToolUse hooks for edits tell us which file changed.
      const input = event.tool_input as { file_path?: string; notebook_path?: string } | undefined;
      const path = input?.file_path ?? input?.notebook_path;
      const stale = event.hook_event_name === "PostToolUse" && path ? await invalidate({ paths: [path] }) : 0;
      return { ok: true, stale };
    });
  });
  app.get("/healthz", async () => ({ ok: true, mode: config.mode }));
  app.get("/ostk/stats", async (req) => stats((req.query as { window?: string }).window));
  await app.register(httpProxy, {
    upstream: config.upstream,
    prefix: "/",
    http2: false,
    replyOptions: {
      rewriteRequestHeaders: (_req, headers) => ({ ...headers, "accept-encoding": "identity" }),
      onError: (reply, { error }) => {
        const provider =
          reply.request.url.startsWith("/v1/chat") || reply.request.url.startsWith("/v1/responses")
            ? "openai"
            : "anthropic";
        void reply
          .code(502)
          .type("application/json")
          .send(
            providerErrorBody(provider, 502, `cannot reach upstream ${config.upstream}: ${error.message}`),
          );
      },
    },
  });

  let invalidation: { source: string; stop: () => Promise<void> } = { source: "none", stop: async () => {} };
  if (responseCache && (follow ?? config.kernel.invalidation)) {
    invalidation = await followChanges({
      workspace,
      socketPath: config.kernel.socketPath,
      logger,
      onChange: async (paths) => {
        await invalidate({ paths });
      },
    });
  }

  // Every client connection, so close() can also end the ones that never sent a request: Node counts
  // those as waiting for headers (up to headersTimeout, 60 s), and closeIdleConnections leaves them.
  const sockets = new Set<Socket>();
  app.server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${address.port}`;
  logger?.info(
    { url, mode: config.mode, upstream: config.upstream, invalidation: invalidation.source },
    "ostk-cache listening",
  );

  async function stats(window = "24h") {
    const s = responseCache ? await responseCache.store.stats().catch(() => undefined) : undefined;
    state.ledger.flush();
    return {
      counters: state.counters,
      store: s ? { driver: store.driver, ...s } : undefined,
      invalidation: invalidation.source,
      ledger: summarize(readLedger(state.ledger.path), window),
    };
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    host: config.host,
    port: address.port,
    config,
    warnings,
    invalidate,
    stats,
    rpcHandlers: () => ({
      "cache/stats": async (p) => stats(typeof p?.window === "string" ? p.window : undefined),
      "cache/invalidate": async (p) => ({
        stale: await invalidate({
          paths: p?.paths as string[] | undefined,
          contents: p?.contents as string[] | undefined,
        }),
      }),
    }),
    app: app as unknown as FastifyInstance,
    close() {
      closing ??= (async () => {
        fastPath = false;
        await invalidation.stop();
        // In-flight requests and streams finish; keep-alive sockets are closed as soon as they go idle,
        // and connections a client opened but never used (SDK pools open them ahead) at once.
        const sweep = setInterval(() => {
          app.server.closeIdleConnections();
          for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
        }, 25);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await state.ledger.close();
        await store.close();
      })();
      return closing;
    },
  };
}
