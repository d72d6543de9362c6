import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { Agent, errors } from "undici";

/**
 * One keep-alive undici agent for the whole process (both schemes, every origin). undici instead of
 * `node:http`'s client: measured with two proxy builds side by side on the same upstream, about 80 µs
 * less per small request. Its header and body timeouts replace hand-rolled timers.
 */
const agent = new Agent({ keepAliveTimeout: 30_000, pipelining: 1 });

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: "connect" | "timeout" | "aborted",
  ) {
    super(message);
  }
}

/** An upstream base URL parsed once: scheme, host and path prefix. */
export interface UpstreamTarget {
  https: boolean;
  /** `scheme://host[:port]`. */
  origin: string;
  /** `host[:port]`, as the Host header carries it. */
  host: string;
  /** The base URL's path without a trailing slash ("" for none). */
  prefix: string;
}

const targets = new Map<string, UpstreamTarget>();

/** Parses `base` once (memoised); requests then only concatenate the client's path and query. */
export function upstreamTarget(base: string): UpstreamTarget {
  let t = targets.get(base);
  if (!t) {
    const u = new URL(base);
    t = {
      https: u.protocol === "https:",
      origin: u.origin,
      host: u.host,
      prefix: u.pathname.replace(/\/$/, ""),
    };
    targets.set(base, t);
  }
  return t;
}

/** The upstream's answer once its headers arrived; `body` errors if the upstream cuts it or goes quiet. */
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** What a failed read of an upstream body means, for the client's error message. */
export function bodyErrorMessage(err: unknown, timeoutMs: number): string {
  if (err instanceof errors.BodyTimeoutError) return `upstream idle for ${timeoutMs} ms`;
  return "upstream closed the connection before the response completed";
}

/**
 * Sends one request upstream over the shared keep-alive agent and resolves once the response headers
 * arrive. Rejects with UpstreamError on connection failure, no headers within `timeoutMs`, or
 * `cancel()`; the body then errors if it pauses longer than `timeoutMs` between chunks. `cancel`
 * aborts the request at any point (the client went away).
 */
export function sendUpstream(
  target: UpstreamTarget,
  pathAndQuery: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  timeoutMs: number,
): { response: Promise<UpstreamResponse>; cancel: () => void } {
  // undici takes an EventEmitter as the abort signal: a fraction of an AbortController's cost per request.
  const signal = new EventEmitter();
  let cancelled = false;
  const response = agent
    .request({
      origin: target.origin,
      path: target.prefix + pathAndQuery,
      method: method as "POST",
      headers: headers as Record<string, string | string[]>,
      body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    .then(
      (r) => ({
        statusCode: r.statusCode,
        headers: r.headers as IncomingHttpHeaders,
        body: r.body as Readable,
      }),
      (err: Error) => {
        if (cancelled) throw new UpstreamError("client went away", "aborted");
        if (err instanceof errors.HeadersTimeoutError)
          throw new UpstreamError(`upstream sent no response within ${timeoutMs} ms`, "timeout");
        const cause = (err as { cause?: Error }).cause;
        throw new UpstreamError(
          `cannot reach upstream ${target.host}: ${cause?.message ?? err.message}`,
          "connect",
        );
      },
    );
  return {
    response,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      signal.emit("abort");
    },
  };
}
