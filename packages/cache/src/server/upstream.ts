import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { Agent, type Dispatcher, errors, util } from "undici";

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

/** What a failed read of an upstream body means, for the client's error message. */
export function bodyErrorMessage(err: unknown, timeoutMs: number): string {
  if (err instanceof errors.BodyTimeoutError) return `upstream idle for ${timeoutMs} ms`;
  return "upstream closed the connection before the response completed";
}

/** The error a request that got no response headers rejects with. */
function failedBeforeHeaders(
  err: Error,
  cancelled: boolean,
  target: UpstreamTarget,
  timeoutMs: number,
): UpstreamError {
  if (cancelled) return new UpstreamError("client went away", "aborted");
  if (err instanceof errors.HeadersTimeoutError)
    return new UpstreamError(`upstream sent no response within ${timeoutMs} ms`, "timeout");
  const cause = (err as { cause?: Error }).cause;
  return new UpstreamError(
    `cannot reach upstream ${target.host}: ${cause?.message ?? err.message}`,
    "connect",
  );
}

/** Receives one upstream response as undici's HTTP parser delivers it. */
export interface UpstreamSink {
  /** The final response head (1xx are skipped). A throw aborts the request and reaches `error`. */
  headers(statusCode: number, headers: IncomingHttpHeaders): void;
  /** One body chunk; false pauses the upstream until `resume()`. A throw aborts the request. */
  data(chunk: Buffer): boolean;
  end(): void;
  /**
   * Exactly once unless `end` ran: before the headers an UpstreamError (connect, timeout, aborted);
   * after them the body error as undici gives it (see bodyErrorMessage).
   */
  error(err: Error, afterHeaders: boolean): void;
}

/** undici's legacy dispatch handler over an UpstreamSink. */
class SinkHandler implements Dispatcher.DispatchHandler {
  private abort: ((err?: Error) => void) | null = null;
  private resumeParser: (() => void) | null = null;
  private cancelled = false;
  private afterHeaders = false;

  constructor(
    private readonly sink: UpstreamSink,
    private readonly target: UpstreamTarget,
    private readonly timeoutMs: number,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    if (this.cancelled) abort(new errors.RequestAbortedError());
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.resumeParser = resume;
    this.afterHeaders = true;
    this.sink.headers(statusCode, util.parseHeaders(rawHeaders) as IncomingHttpHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.sink.data(chunk);
  }

  onComplete(): void {
    this.sink.end();
  }

  onError(err: Error): void {
    if (this.afterHeaders) this.sink.error(err, true);
    else this.sink.error(failedBeforeHeaders(err, this.cancelled, this.target, this.timeoutMs), false);
  }

  // Arrow properties: passed around as listeners.
  readonly cancel = (): void => {
    if (this.cancelled) return;
    this.cancelled = true;
    this.abort?.(new errors.RequestAbortedError());
  };

  readonly resume = (): void => {
    this.resumeParser?.();
  };
}

/**
 * Sends one request upstream over the shared keep-alive agent; the response goes straight from
 * undici's HTTP parser to `sink` (no promise hop, no body stream: 0.02–0.03 ms less per small request
 * than `agent.request`, measured side by side). `sink.error` gets an UpstreamError on connection
 * failure, no headers within `timeoutMs`, or `cancel()`; after the headers, the body error if the
 * upstream cuts the body or pauses longer than `timeoutMs` between chunks. `cancel` aborts at any
 * point (the client went away); `resume` undoes a `data` that returned false.
 */
export function dispatchUpstream(
  target: UpstreamTarget,
  pathAndQuery: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  timeoutMs: number,
  sink: UpstreamSink,
): { cancel: () => void; resume: () => void } {
  const handler = new SinkHandler(sink, target, timeoutMs);
  agent.dispatch(
    {
      origin: target.origin,
      path: target.prefix + pathAndQuery,
      method: method as "POST",
      headers: headers as Record<string, string | string[]>,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    },
    handler,
  );
  return handler;
}
