import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
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
import {
  bodyErrorMessage,
  sendUpstream,
  UpstreamError,
  type UpstreamResponse,
  upstreamTarget,
} from "./upstream";

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

/**
 * Reads an upstream body as it arrives (a plain `data` listener: no async-iterator hop between the
 * upstream socket and `onChunk`). Resolves when the body is complete; rejects if the upstream cuts it,
 * goes quiet longer than the agent's body timeout, or `onChunk` throws. `onChunk` returning false
 * pauses the upstream until `res` drains.
 */
export function readBody(
  up: Readable,
  onChunk: (chunk: Buffer) => boolean,
  res?: ServerResponse,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const resume = () => up.resume();
    up.on("data", (chunk: Buffer) => {
      let more: boolean;
      try {
        more = onChunk(chunk);
      } catch (err) {
        up.destroy(err as Error);
        return;
      }
      if (!more && res) {
        up.pause();
        res.once("drain", resume);
      }
    });
    up.on("end", resolve);
    up.on("error", reject);
  });
}

function assemblerFor(route: Route, usageOnly: boolean) {
  if (route === "anthropic-messages") return new AnthropicStreamAssembler({ usageOnly });
  if (route === "openai-chat") return new ChatStreamAssembler();
  return new ResponsesStreamAssembler();
}

function finalOf(asm: ReturnType<typeof assemblerFor>): Json {
  return asm instanceof AnthropicStreamAssembler ? asm.message : asm.completion;
}

/**
 * Sends the (rewritten) body upstream and relays the answer: errors verbatim, SSE chunk by chunk
 * (read after forwarding), JSON read whole so a cut or invalid body becomes a clean 502.
 */
export async function forward(
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
  const sent = sendUpstream(
    target,
    pathAndQuery,
    "POST",
    upstreamHeaders(headers, out.length, target.host),
    out,
    config.upstreamTimeoutMs,
  );
  let up: UpstreamResponse;
  res.on("close", () => {
    if (!res.writableFinished) sent.cancel();
  });
  try {
    up = await sent.response;
  } catch (err) {
    const timeout = err instanceof UpstreamError && err.kind === "timeout";
    const status = timeout ? 504 : 502;
    const message = `${(err as Error).message}. The request was not answered; nothing was cached. Check the upstream (${target.host}) and retry.`;
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
  const status = up.statusCode;
  const ctype = String(up.headers["content-type"] ?? "");
  const encoded = up.headers["content-encoding"] && up.headers["content-encoding"] !== "identity";
  if (status !== 200 || encoded || (!ctype.includes("event-stream") && !ctype.includes("json"))) {
    return verbatim(b, res, up, status);
  }
  if (ctype.includes("event-stream")) return streamSse(b, res, up, assemble);
  return bufferJson(b, res, up);
}

/** Upstream errors (and anything the proxy cannot read) reach the client exactly as sent. */
async function verbatim(
  b: Base,
  res: ServerResponse,
  up: UpstreamResponse,
  status: number,
): Promise<Outcome> {
  res.writeHead(status, clientHeaders(up.headers));
  let ttfb: number | null = null;
  const head: Buffer[] = [];
  let size = 0;
  let bytesOut = 0;
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
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

/** How long SSE response headers wait for the first event before they go to the client alone. */
const HEADER_HOLD_MS = 5;

async function streamSse(
  b: Base,
  res: ServerResponse,
  up: UpstreamResponse,
  assemble: boolean,
): Promise<Outcome> {
  res.writeHead(200, { ...clientHeaders(up.headers, { dropLength: true }), "x-ostk-cache": "miss" });
  const parser = new SseParser();
  const asm = assemblerFor(b.route, !assemble);
  const filter = b.state.config.filterSecrets ? new StreamSecretFilter(b.route) : undefined;
  let ttfb: number | null = null;
  let bytesOut = 0;
  let hold: NodeJS.Timeout | undefined;
  const write = (data: Buffer | string) => {
    if (hold) {
      clearTimeout(hold);
      hold = undefined;
    }
    bytesOut += data.length;
    return res.write(data);
  };
  const onChunk = (chunk: Buffer) => {
    ttfb ??= performance.now() - b.t0;
    if (filter) {
      const events = parser.push(chunk);
      for (const ev of events) asm.accept(ev);
      const data = events.map((ev) => filter.transform(ev)).join("");
      return data.length ? write(data) : true;
    }
    // Forward first, then read: the client never waits for the proxy's bookkeeping.
    const drained = write(chunk);
    for (const ev of parser.push(chunk)) asm.accept(ev);
    return drained;
  };
  try {
    // The headers go out with the first event (one write, one wake-up of the client, not two): the
    // events the upstream already sent, else the next one (a provider sends it right behind the
    // headers); alone after HEADER_HOLD_MS if the upstream pauses.
    const first = up.body.readableLength > 0 ? (up.body.read() as Buffer | null) : null;
    if (first) onChunk(first);
    if (bytesOut === 0) hold = setTimeout(() => res.flushHeaders(), HEADER_HOLD_MS);
    await readBody(up.body, onChunk, res);
    for (const ev of parser.end()) {
      asm.accept(ev);
      if (filter) write(filter.transform(ev));
    }
  } catch {
    // Cut or idle upstream: closed below with a provider-shaped error event.
    up.body.destroy();
  } finally {
    clearTimeout(hold);
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

async function bufferJson(b: Base, res: ServerResponse, up: UpstreamResponse): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let ttfb: number | null = null;
  try {
    await readBody(up.body, (chunk) => {
      ttfb ??= performance.now() - b.t0;
      chunks.push(chunk);
      return true;
    });
  } catch (err) {
    writeProviderError(
      res,
      b.provider,
      502,
      `${bodyErrorMessage(err, b.state.config.upstreamTimeoutMs)}; nothing was cached, retry the request`,
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
