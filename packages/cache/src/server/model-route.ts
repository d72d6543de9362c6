import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { FastifyReply, FastifyRequest } from "fastify";
import { enrichQuery, injectMemories, recallSearch } from "../enrich";
import type { LedgerRow } from "../ledger/ledger";
import { registerSecret, traceIdFor } from "../lib-seam";
import { costOf } from "../prices";
import { cacheDecision, type Route, responseCacheKey } from "../response-cache/cache-key";
import { type CachedResponse, toCached } from "../response-cache/response-cache";
import { keyId } from "../response-cache/sealed";
import { requestTags } from "../response-cache/tags";
import { placeCacheHints, type RewriteReport, rewriteBody } from "../rewrite/pipeline";
import { filterResponseBody, StreamSecretFilter } from "../secret-filter";
import { AnthropicStreamAssembler, type Json } from "../wire/anthropic";
import { ChatStreamAssembler, ResponsesStreamAssembler } from "../wire/openai";
import { SseParser } from "../wire/sse";
import { clientHeaders, upstreamHeaders } from "./headers";
import { type Provider, providerErrorBody, streamErrorEvent, writeProviderError } from "./provider-error";
import { type ProxyState, recordRow } from "./proxy-state";
import { writeReplay } from "./replay";
import { sendUpstream, UpstreamError, upstreamUrl } from "./upstream";
import { tokenCounts } from "./usage";

export function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const x = headers["x-api-key"];
  if (typeof x === "string" && x) return x;
  const auth = headers.authorization;
  const m = typeof auth === "string" ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1].trim() : undefined;
}

interface Outcome {
  status: number;
  body?: Json;
  /** The upstream's JSON bytes as received (non-streaming, unfiltered). */
  raw?: Buffer;
  errorType?: string | null;
  responseCache: LedgerRow["response_cache"];
  ttfb: number | null;
  stream: boolean;
  bytesOut: number;
  enrich?: { ids: string[]; tokens: number } | null;
  tierD?: boolean;
}

const waitDrain = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });

/** Reads a response body with an idle timeout; rejects if the upstream cuts it or goes quiet. */
async function* withIdleTimeout(up: IncomingMessage, ms: number): AsyncGenerator<Buffer> {
  let timer = setTimeout(() => up.destroy(new Error(`upstream idle for ${ms} ms`)), ms);
  try {
    for await (const chunk of up) {
      clearTimeout(timer);
      timer = setTimeout(() => up.destroy(new Error(`upstream idle for ${ms} ms`)), ms);
      yield chunk as Buffer;
    }
    if (!up.complete) throw new Error("upstream closed the connection before the response completed");
  } finally {
    clearTimeout(timer);
  }
}

function assemblerFor(route: Route) {
  if (route === "anthropic-messages") return new AnthropicStreamAssembler();
  if (route === "openai-chat") return new ChatStreamAssembler();
  return new ResponsesStreamAssembler();
}

function finalOf(asm: ReturnType<typeof assemblerFor>): Json {
  return asm instanceof AnthropicStreamAssembler ? asm.message : asm.completion;
}

function isComplete(route: Route, body: Json): boolean {
  if (!body || typeof body !== "object") return false;
  if (route === "anthropic-messages") return body.type === "message" && body.stop_reason != null;
  if (route === "openai-chat")
    return Array.isArray(body.choices) && body.choices.every((c: Json) => c?.finish_reason);
  return body.status === "completed";
}

/** POST /v1/messages/count_tokens: validated, then forwarded unchanged. */
export async function handleCountTokens(
  state: ProxyState,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const raw = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
  try {
    JSON.parse(raw.toString("utf8"));
  } catch {
    return writeProviderError(res, "anthropic", 400, "request body is not valid JSON");
  }
  const key = apiKeyOf(req.headers);
  if (key) registerSecret(key);
  const url = upstreamUrl(state.config.upstream, req.raw.url ?? req.url);
  const ac = new AbortController();
  res.on("close", () => ac.abort());
  try {
    const up = await sendUpstream(url, "POST", upstreamHeaders(req.headers, raw.length, url.host), raw, {
      timeoutMs: state.config.upstreamTimeoutMs,
      signal: ac.signal,
    });
    res.writeHead(up.statusCode ?? 502, clientHeaders(up.headers));
    for await (const chunk of withIdleTimeout(up, state.config.upstreamTimeoutMs)) res.write(chunk);
    res.end();
  } catch (err) {
    if (res.headersSent) res.destroy();
    else
      writeProviderError(
        res,
        "anthropic",
        err instanceof UpstreamError && err.kind === "timeout" ? 504 : 502,
        String((err as Error).message),
      );
  }
}

/** The Messages / Chat Completions / Responses routes: rewrite, response cache, forward, record. */
export async function handleModelRequest(
  state: ProxyState,
  route: Route,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const t0 = performance.now();
  const { config } = state;
  const provider: Provider = route === "anthropic-messages" ? "anthropic" : "openai";
  const raw = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
  let body: Json;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    return writeProviderError(
      res,
      provider,
      400,
      `request body is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (!body || typeof body !== "object" || Array.isArray(body))
    return writeProviderError(res, provider, 400, "request body must be a JSON object");
  const apiKey = apiKeyOf(req.headers);
  if (apiKey) registerSecret(apiKey);
  const pathAndQuery = req.raw.url ?? req.url;
  const mode = config.mode;
  const report = await rewriteBody(body, route, mode, config, state.projection, raw.length);
  const base = {
    state,
    route,
    provider,
    body,
    mode,
    report,
    t0,
    bytesIn: raw.length,
    apiKey,
    traceId: traceIdFor(req.headers.traceparent as string | undefined),
    session: (req.headers["x-claude-code-session-id"] as string | undefined) ?? null,
  };

  if (report.softCap && !report.softCap.fits) {
    const { A, B, C, bytesBefore, bytesAfter } = report.softCap;
    const message = `request is ${bytesBefore} bytes, over the ${config.softCapBytes}-byte soft cap even after reduction (${bytesAfter} bytes); nothing was sent upstream. Start a new session or compact the conversation.`;
    const errBody = {
      ...(providerErrorBody(
        provider,
        413,
        message,
        provider === "anthropic" ? "request_too_large" : undefined,
      ) as object),
      reduction: {
        tiers: { A, B, C, D: 1 },
        bytes_before: bytesBefore,
        bytes_after: bytesAfter,
        cap: config.softCapBytes,
      },
    };
    writeProviderError(res, provider, 413, message, {}, errBody);
    return finish(base, {
      status: 413,
      errorType: "request_too_large",
      responseCache: "bypass",
      ttfb: null,
      stream: false,
      bytesOut: 0,
      tierD: true,
    });
  }

  const rc = state.responseCache;
  const decision =
    rc && apiKey
      ? cacheDecision(route, req.headers, body, config.responseCache.replay)
      : { use: false as const, reason: "disabled" };
  let key: string | undefined;
  let lead: ((r: CachedResponse | undefined) => void) | undefined;
  if (rc && decision.use && apiKey) {
    key = responseCacheKey(pathAndQuery, req.headers, body, keyId(state.secret, apiKey));
    const pending = rc.pending(key);
    const hit = pending ? await pending : undefined;
    if (hit) return replay(base, hit, "coalesced");
    if (!pending) {
      lead = rc.lead(key);
      const stored = await rc.get(key, apiKey).catch(() => undefined);
      if (stored) {
        lead(stored);
        return replay(base, stored, "hit");
      }
    }
  }
  const tags = key ? requestTags(body) : [];
  placeCacheHints(body, route, mode, config, state.promptCacheKey, report);
  let enrich: Outcome["enrich"] = null;
  if (config.enrich.enabled && config.enrich.socketPath) {
    const hits = await recallSearch(
      config.enrich.socketPath,
      enrichQuery(body),
      config.enrich.limit,
      config.enrich.timeoutMs,
    );
    if (hits?.length) {
      enrich = injectMemories(body, route, hits, config.enrich.tokenBudget);
      if (enrich.ids.length) report.changed = true;
    }
  }
  const out = report.changed ? Buffer.from(JSON.stringify(body)) : raw;
  const outcome = await forward(base, req, res, out, pathAndQuery);
  outcome.enrich = enrich;
  let stored = false;
  if (key && apiKey && rc && outcome.status === 200 && isComplete(route, outcome.body)) {
    const value = toCached(route, outcome.body, outcome.raw);
    stored = await rc.put(key, apiKey, value, tags).catch(() => false);
    lead?.(stored ? value : undefined);
  } else lead?.(undefined);
  outcome.responseCache = key ? (stored ? "stored" : "miss") : "bypass";
  finish(base, outcome, out.length);

  function replay(b: typeof base, cached: CachedResponse, how: "hit" | "coalesced") {
    const shown = config.filterSecrets
      ? {
          ...cached,
          text: Buffer.from(
            JSON.stringify(filterResponseBody(route, JSON.parse(cached.text.toString("utf8")))),
          ),
        }
      : cached;
    writeReplay(res, route, body, shown, how);
    finish(
      b,
      {
        status: 200,
        body: { usage: cached.usage },
        responseCache: how,
        ttfb: performance.now() - t0,
        stream: Boolean(body.stream),
        bytesOut: 0,
      },
      0,
    );
  }
}

type Base = {
  state: ProxyState;
  route: Route;
  provider: Provider;
  body: Json;
  mode: string;
  report: RewriteReport;
  t0: number;
  bytesIn: number;
  apiKey?: string;
  traceId: string;
  session: string | null;
};

async function forward(
  b: Base,
  req: FastifyRequest,
  res: ServerResponse,
  out: Buffer,
  pathAndQuery: string,
): Promise<Outcome> {
  const { config } = b.state;
  const stream = Boolean(b.body.stream);
  const url = upstreamUrl(b.provider === "anthropic" ? config.upstream : config.openaiUpstream, pathAndQuery);
  const ac = new AbortController();
  let up: IncomingMessage | undefined;
  res.on("close", () => {
    if (!res.writableFinished) {
      ac.abort();
      up?.destroy();
    }
  });
  try {
    up = await sendUpstream(url, "POST", upstreamHeaders(req.headers, out.length, url.host), out, {
      timeoutMs: config.upstreamTimeoutMs,
      signal: ac.signal,
    });
  } catch (err) {
    const timeout = err instanceof UpstreamError && err.kind === "timeout";
    const status = timeout ? 504 : 502;
    const message = `${(err as Error).message}. The request was not answered; nothing was cached. Check the upstream (${url.host}) and retry.`;
    writeProviderError(res, b.provider, status, message);
    return {
      status,
      errorType: timeout ? "timeout" : "upstream_unreachable",
      responseCache: "bypass",
      ttfb: null,
      stream,
      bytesOut: 0,
    };
  }
  const status = up.statusCode ?? 502;
  const ctype = String(up.headers["content-type"] ?? "");
  const encoded = up.headers["content-encoding"] && up.headers["content-encoding"] !== "identity";
  if (status !== 200 || encoded || (!ctype.includes("event-stream") && !ctype.includes("json"))) {
    return verbatim(b, res, up, status);
  }
  if (ctype.includes("event-stream")) return streamSse(b, res, up);
  return bufferJson(b, res, up);
}

/** Upstream errors (and anything the proxy cannot read) reach the client exactly as sent. */
async function verbatim(b: Base, res: ServerResponse, up: IncomingMessage, status: number): Promise<Outcome> {
  res.writeHead(status, clientHeaders(up.headers));
  let ttfb: number | null = null;
  const head: Buffer[] = [];
  let size = 0;
  let bytesOut = 0;
  try {
    for await (const chunk of withIdleTimeout(up, b.state.config.upstreamTimeoutMs)) {
      ttfb ??= performance.now() - b.t0;
      if (size < 16384) {
        head.push(chunk);
        size += chunk.length;
      }
      bytesOut += chunk.length;
      if (!res.write(chunk)) await waitDrain(res);
    }
    res.end();
  } catch {
    res.destroy();
  }
  let errorType: string | null = null;
  try {
    const parsed = JSON.parse(Buffer.concat(head).toString("utf8"));
    errorType = parsed?.error?.type ?? parsed?.error?.code ?? null;
  } catch {
    errorType = status >= 400 ? `http_${status}` : null;
  }
  return { status, errorType, responseCache: "bypass", ttfb, stream: false, bytesOut };
}

async function streamSse(b: Base, res: ServerResponse, up: IncomingMessage): Promise<Outcome> {
  res.writeHead(200, { ...clientHeaders(up.headers, { dropLength: true }), "x-ostk-cache": "miss" });
  res.flushHeaders();
  const parser = new SseParser();
  const asm = assemblerFor(b.route);
  const filter = b.state.config.filterSecrets ? new StreamSecretFilter(b.route) : undefined;
  let ttfb: number | null = null;
  let bytesOut = 0;
  try {
    for await (const chunk of withIdleTimeout(up, b.state.config.upstreamTimeoutMs)) {
      ttfb ??= performance.now() - b.t0;
      if (filter) {
        const events = parser.push(chunk);
        for (const ev of events) asm.accept(ev);
        const data = events.map((ev) => filter.transform(ev)).join("");
        bytesOut += data.length;
        if (data.length && !res.write(data)) await waitDrain(res);
        continue;
      }
      // Forward first, then read: the client never waits for the proxy's bookkeeping.
      const drained = res.write(chunk);
      bytesOut += chunk.length;
      for (const ev of parser.push(chunk)) asm.accept(ev);
      if (!drained) await waitDrain(res);
    }
    for (const ev of parser.end()) {
      asm.accept(ev);
      if (filter) res.write(filter.transform(ev));
    }
  } catch {
    // Cut or idle upstream: closed below with a provider-shaped error event.
  }
  let errorType: string | null = asm.error ? (asm.error.error?.type ?? asm.error.code ?? "error") : null;
  if (!asm.complete && !asm.error && !res.destroyed) {
    errorType = "stream_cut";
    res.write(
      streamErrorEvent(
        b.route,
        "upstream stream ended before the response completed (ostk-cache); nothing was cached, retry the request",
      ),
    );
  }
  res.end();
  return {
    status: 200,
    body: asm.complete ? finalOf(asm) : undefined,
    errorType,
    responseCache: "bypass",
    ttfb,
    stream: true,
    bytesOut,
  };
}

async function bufferJson(b: Base, res: ServerResponse, up: IncomingMessage): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let ttfb: number | null = null;
  try {
    for await (const chunk of withIdleTimeout(up, b.state.config.upstreamTimeoutMs)) {
      ttfb ??= performance.now() - b.t0;
      chunks.push(chunk);
    }
  } catch (err) {
    writeProviderError(
      res,
      b.provider,
      502,
      `${(err as Error).message}; nothing was cached, retry the request`,
    );
    return {
      status: 502,
      errorType: "upstream_cut",
      responseCache: "bypass",
      ttfb,
      stream: false,
      bytesOut: 0,
    };
  }
  const buf = Buffer.concat(chunks);
  let parsed: Json;
  try {
    parsed = JSON.parse(buf.toString("utf8"));
  } catch {
    writeProviderError(
      res,
      b.provider,
      502,
      "upstream returned a body that is not valid JSON; nothing was cached, retry the request",
    );
    return {
      status: 502,
      errorType: "upstream_invalid_json",
      responseCache: "bypass",
      ttfb,
      stream: false,
      bytesOut: 0,
    };
  }
  const text = b.state.config.filterSecrets
    ? Buffer.from(JSON.stringify(filterResponseBody(b.route, structuredClone(parsed))))
    : buf;
  res.writeHead(200, {
    ...clientHeaders(up.headers, { dropLength: true }),
    "content-length": String(text.length),
    "x-ostk-cache": "miss",
  });
  res.end(text);
  return {
    status: 200,
    body: parsed,
    raw: buf,
    responseCache: "bypass",
    ttfb,
    stream: false,
    bytesOut: text.length,
  };
}

function finish(b: Base, o: Outcome, bytesForwarded = 0): void {
  const { state, report, route } = b;
  const model = typeof b.body.model === "string" ? b.body.model : null;
  const hit = o.responseCache === "hit" || o.responseCache === "coalesced";
  const t =
    o.body && !hit
      ? tokenCounts(route, o.body)
      : { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 };
  const cost = model ? costOf(b.provider, model, t) : undefined;
  const hitCost = hit && o.body && model ? costOf(b.provider, model, tokenCounts(route, o.body)) : undefined;
  const row: LedgerRow = {
    ts: new Date().toISOString(),
    trace_id: b.traceId,
    session: b.session,
    workspace_id: state.workspaceId,
    key_id: b.apiKey ? keyId(state.secret, b.apiKey) : null,
    provider: b.provider,
    route,
    model,
    mode: b.mode,
    stream: o.stream,
    status: o.status,
    error_type: o.errorType ?? null,
    req_bytes_in: b.bytesIn,
    req_bytes_out: bytesForwarded,
    input_tokens: t.input,
    cache_read_tokens: t.cacheRead,
    cache_write_5m_tokens: t.cacheWrite5m,
    cache_write_1h_tokens: t.cacheWrite1h,
    output_tokens: t.output,
    cost_usd: cost ? cost.cost : hit ? 0 : null,
    uncached_cost_usd: cost ? cost.uncached : hitCost ? hitCost.uncached : null,
    saving_usd: cost ? cost.uncached - cost.cost : hitCost ? hitCost.uncached : null,
    response_cache: o.responseCache,
    breakpoints: report.breakpoints,
    stripped: report.stripped,
    tiers: {
      A: report.softCap?.A ?? 0,
      B: report.softCap?.B ?? 0,
      C: report.softCap?.C ?? 0,
      D: o.tierD ? 1 : 0,
    },
    rebuild: report.rebuild
      ? {
          replaced: report.rebuild.replacedMessages,
          repaired: report.rebuild.repairedResults,
          source: report.rebuild.source,
        }
      : undefined,
    enrich: o.enrich ?? null,
    latency_ms: Math.round((performance.now() - b.t0) * 1000) / 1000,
    ttfb_ms: o.ttfb === null ? null : Math.round(o.ttfb * 1000) / 1000,
  };
  recordRow(state, row);
}
