import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { enrichQuery, injectMemories, recallSearch } from "../enrich";
import { registerSecret } from "../lib-seam";
import { cacheDecision, type Route, responseCacheKey } from "../response-cache/cache-key";
import { type CachedResponse, toCached } from "../response-cache/response-cache";
import { keyId } from "../response-cache/sealed";
import { requestTags } from "../response-cache/tags";
import { placeCacheHints, rewriteBody } from "../rewrite/pipeline";
import { filterResponseBody } from "../secret-filter";
import type { Json } from "../wire/anthropic";
import { forward, type Outcome } from "./forward";
import { clientHeaders, upstreamHeaders } from "./headers";
import { type Provider, providerErrorBody, writeProviderError } from "./provider-error";
import type { ProxyState } from "./proxy-state";
import { finish } from "./record-outcome";
import { writeReplay } from "./replay";
import { dispatchUpstream, UpstreamError, upstreamTarget } from "./upstream";

export function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const x = headers["x-api-key"];
  if (typeof x === "string" && x) return x;
  const auth = headers.authorization;
  const m = typeof auth === "string" ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1].trim() : undefined;
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
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
): Promise<void> {
  try {
    JSON.parse(raw.toString("utf8"));
  } catch {
    return writeProviderError(res, "anthropic", 400, "request body is not valid JSON");
  }
  const key = apiKeyOf(req.headers);
  if (key) registerSecret(key);
  const target = upstreamTarget(state.config.upstream);
  const sent = dispatchUpstream(
    target,
    req.url ?? "/",
    "POST",
    upstreamHeaders(req.headers, raw.length, target.host),
    raw,
    state.config.upstreamTimeoutMs,
    {
      headers: (status, h) => res.writeHead(status, clientHeaders(h)),
      data(chunk) {
        if (res.write(chunk)) return true;
        res.once("drain", sent.resume);
        return false;
      },
      end: () => res.end(),
      error(err) {
        if (res.headersSent) res.destroy();
        else
          writeProviderError(
            res,
            "anthropic",
            err instanceof UpstreamError && err.kind === "timeout" ? 504 : 502,
            err.message,
          );
      },
    },
  );
  res.on("close", () => {
    if (!res.writableFinished) sent.cancel();
  });
}

/** The Messages / Chat Completions / Responses routes: rewrite, response cache, forward, record. */

export async function handleModelRequest(
  state: ProxyState,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  t0 = performance.now(),
): Promise<void> {
  const { config } = state;
  const provider: Provider = route === "anthropic-messages" ? "anthropic" : "openai";
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
  const pathAndQuery = req.url ?? "/";
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
    traceparent: req.headers.traceparent as string | undefined,
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
  const outcome = await forward(base, req.headers, res, out, pathAndQuery, key !== undefined);
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
