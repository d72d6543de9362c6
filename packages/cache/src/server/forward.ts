import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { LedgerRow } from "../ledger/ledger";
import type { Route } from "../response-cache/cache-key";
import type { RewriteReport } from "../rewrite/pipeline";
import { filterResponseBody, StreamSecretFilter } from "../secret-filter";
import { AnthropicStreamAssembler, type Json } from "../wire/anthropic";
import { ChatStreamAssembler, ResponsesStreamAssembler } from "../wire/openai";
import { SseParser } from "../wire/sse";
import { clientHeaders, upstreamHeaders } from "./headers";
import { type Provider, streamErrorEvent, writeProviderError } from "./provider-error";
import type { ProxyState } from "./proxy-state";
import { bodyErrorMessage, dispatchUpstream, UpstreamError, upstreamTarget } from "./upstream";

/** What happened to one forwarded (or replayed) request, for the ledger. */
export interface Outcome {
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

/** The request as the handler prepared it. */
export type Base = {
  state: ProxyState;
  route: Route;
  provider: Provider;
  body: Json;
  mode: string;
  report: RewriteReport;
  t0: number;
  bytesIn: number;
  apiKey?: string;
  /** The client's `traceparent` header; the trace id is derived off the request path, for the ledger. */
  traceparent: string | undefined;
  session: string | null;
};

function assemblerFor(route: Route, usageOnly: boolean) {
  if (route === "anthropic-messages") return new AnthropicStreamAssembler({ usageOnly });
  if (route === "openai-chat") return new ChatStreamAssembler();
  return new ResponsesStreamAssembler();
}

function finalOf(asm: ReturnType<typeof assemblerFor>): Json {
  return asm instanceof AnthropicStreamAssembler ? asm.message : asm.completion;
}

/** How one upstream answer is relayed, fed straight from the upstream's HTTP parser. */
interface Relay {
  /** false: the client is full; the upstream is paused until it drains. */
  data(chunk: Buffer): boolean;
  end(): Outcome;
  fail(err: Error): Outcome;
}

/**
 * Sends the (rewritten) body upstream and relays the answer: errors verbatim, SSE chunk by chunk
 * (read after forwarding), JSON read whole so a cut or invalid body becomes a clean 502. Rejects only
 * if relaying itself throws (as the await-based version did).
 */
export function forward(
  b: Base,
  headers: IncomingHttpHeaders,
  res: ServerResponse,
  out: Buffer,
  pathAndQuery: string,
  /** The whole answer is needed (to store it in the response cache), not just usage and completion. */
  assemble = true,
): Promise<Outcome> {
  const { config } = b.state;
  const stream = Boolean(b.body.stream);
  const target = upstreamTarget(b.provider === "anthropic" ? config.upstream : config.openaiUpstream);
  return new Promise<Outcome>((resolve, reject) => {
    let relay: Relay | undefined;
    let settled = false;
    const settle = (f: () => Outcome) => {
      if (settled) return;
      settled = true;
      try {
        resolve(f());
      } catch (err) {
        reject(err);
      }
    };
    const sent = dispatchUpstream(
      target,
      pathAndQuery,
      "POST",
      upstreamHeaders(headers, out.length, target.host),
      out,
      config.upstreamTimeoutMs,
      {
        headers(status, h) {
          const ctype = String(h["content-type"] ?? "");
          const encoded = h["content-encoding"] && h["content-encoding"] !== "identity";
          if (status !== 200 || encoded || (!ctype.includes("event-stream") && !ctype.includes("json")))
            relay = new Verbatim(b, res, h, status, sent.resume);
          else if (ctype.includes("event-stream")) relay = new SseRelay(b, res, h, assemble, sent.resume);
          else relay = new JsonRelay(b, res, h);
        },
        data: (chunk) => (relay as Relay).data(chunk),
        end: () => settle(() => (relay as Relay).end()),
        error(err, afterHeaders) {
          if (relay) return settle(() => (relay as Relay).fail(err));
          // The head arrived but relaying it threw.
          if (afterHeaders) {
            settled = true;
            return reject(err);
          }
          settle(() => {
            const timeout = err instanceof UpstreamError && err.kind === "timeout";
            const status = timeout ? 504 : 502;
            const message = `${err.message}. The request was not answered; nothing was cached. Check the upstream (${target.host}) and retry.`;
            writeProviderError(res, b.provider, status, message);
            return {
              status,
              errorType: timeout ? "timeout" : "upstream_unreachable",
              responseCache: "bypass",
              ttfb: null,
              stream,
              bytesOut: 0,
            };
          });
        },
      },
    );
    res.on("close", () => {
      if (!res.writableFinished) sent.cancel();
    });
  });
}

/**
 * Sends what `res.write` just queued. Node corks the socket on a response write and uncorks it on the
 * next tick, so without this a chunk would leave only after everything else this tick does (parsing
 * the events it carries, the next chunks of the same read).
 */
function sendNow(res: ServerResponse): void {
  if (res.socket?.writableCorked) res.socket.uncork();
}

/** Upstream errors (and anything the proxy cannot read) reach the client exactly as sent. */
class Verbatim implements Relay {
  private ttfb: number | null = null;
  private readonly head: Buffer[] = [];
  private size = 0;
  private bytesOut = 0;

  constructor(
    private readonly b: Base,
    private readonly res: ServerResponse,
    headers: IncomingHttpHeaders,
    private readonly status: number,
    private readonly resume: () => void,
  ) {
    res.writeHead(status, clientHeaders(headers));
  }

  data(chunk: Buffer): boolean {
    this.ttfb ??= performance.now() - this.b.t0;
    if (this.size < 16384) {
      this.head.push(chunk);
      this.size += chunk.length;
    }
    this.bytesOut += chunk.length;
    const drained = this.res.write(chunk);
    sendNow(this.res);
    if (drained) return true;
    this.res.once("drain", this.resume);
    return false;
  }

  end(): Outcome {
    this.res.end();
    return this.outcome();
  }

  fail(): Outcome {
    this.res.destroy();
    return this.outcome();
  }

  private outcome(): Outcome {
    const { status } = this;
    let errorType: string | null = null;
    try {
      const parsed = JSON.parse(Buffer.concat(this.head).toString("utf8"));
      errorType = parsed?.error?.type ?? parsed?.error?.code ?? null;
    } catch {
      errorType = status >= 400 ? `http_${status}` : null;
    }
    return {
      status,
      errorType,
      responseCache: "bypass",
      ttfb: this.ttfb,
      stream: false,
      bytesOut: this.bytesOut,
    };
  }
}

/** How long SSE response headers wait for the first event before they go to the client alone. */
const HEADER_HOLD_MS = 5;

class SseRelay implements Relay {
  private readonly parser = new SseParser();
  private readonly asm: ReturnType<typeof assemblerFor>;
  private readonly filter: StreamSecretFilter | undefined;
  private ttfb: number | null = null;
  private bytesOut = 0;
  private hold: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly b: Base,
    private readonly res: ServerResponse,
    headers: IncomingHttpHeaders,
    assemble: boolean,
    private readonly resume: () => void,
  ) {
    res.writeHead(200, { ...clientHeaders(headers, { dropLength: true }), "x-ostk-cache": "miss" });
    this.asm = assemblerFor(b.route, !assemble);
    this.filter = b.state.config.filterSecrets ? new StreamSecretFilter(b.route) : undefined;
    // The headers go out with the first event (one write, one wake-up of the client, not two): the
    // parser hands over the events that came with the head before this microtask runs, else the next
    // one (a provider sends it right behind the headers); alone after HEADER_HOLD_MS if it pauses.
    queueMicrotask(() => {
      if (this.bytesOut === 0 && !this.done) this.hold = setTimeout(() => res.flushHeaders(), HEADER_HOLD_MS);
    });
  }

  private write(data: Buffer | string): boolean {
    if (this.hold) {
      clearTimeout(this.hold);
      this.hold = undefined;
    }
    this.bytesOut += data.length;
    const drained = this.res.write(data);
    sendNow(this.res);
    return drained;
  }

  data(chunk: Buffer): boolean {
    this.ttfb ??= performance.now() - this.b.t0;
    let drained: boolean;
    if (this.filter) {
      const events = this.parser.push(chunk);
      for (const ev of events) this.asm.accept(ev);
      const filter = this.filter;
      const data = events.map((ev) => filter.transform(ev)).join("");
      drained = data.length ? this.write(data) : true;
    } else {
      // Forward first, then read: the client never waits for the proxy's bookkeeping.
      drained = this.write(chunk);
      for (const ev of this.parser.push(chunk)) this.asm.accept(ev);
    }
    if (!drained) this.res.once("drain", this.resume);
    return drained;
  }

  end(): Outcome {
    try {
      for (const ev of this.parser.end()) {
        this.asm.accept(ev);
        if (this.filter) this.write(this.filter.transform(ev));
      }
    } catch {
      // Treated as a cut below.
    }
    return this.finish();
  }

  /** Cut or idle upstream: closed with a provider-shaped error event. */
  fail(): Outcome {
    return this.finish();
  }

  private finish(): Outcome {
    const { asm, res } = this;
    this.done = true;
    clearTimeout(this.hold);
    let errorType: string | null = asm.error ? (asm.error.error?.type ?? asm.error.code ?? "error") : null;
    if (!asm.complete && !asm.error && !res.destroyed) {
      errorType = "stream_cut";
      res.write(
        streamErrorEvent(
          this.b.route,
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
      ttfb: this.ttfb,
      stream: true,
      bytesOut: this.bytesOut,
    };
  }
}

class JsonRelay implements Relay {
  private readonly chunks: Buffer[] = [];
  private ttfb: number | null = null;

  constructor(
    private readonly b: Base,
    private readonly res: ServerResponse,
    private readonly headers: IncomingHttpHeaders,
  ) {}

  data(chunk: Buffer): boolean {
    this.ttfb ??= performance.now() - this.b.t0;
    this.chunks.push(chunk);
    return true;
  }

  fail(err: Error): Outcome {
    const { b } = this;
    writeProviderError(
      this.res,
      b.provider,
      502,
      `${bodyErrorMessage(err, b.state.config.upstreamTimeoutMs)}; nothing was cached, retry the request`,
    );
    return {
      status: 502,
      errorType: "upstream_cut",
      responseCache: "bypass",
      ttfb: this.ttfb,
      stream: false,
      bytesOut: 0,
    };
  }

  end(): Outcome {
    const { b, res, chunks, ttfb } = this;
    const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
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
      ...clientHeaders(this.headers, { dropLength: true }),
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
}
