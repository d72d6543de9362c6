import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

// One keep-alive dispatcher per scheme for the whole process; Nagle off on every upstream socket.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 512, noDelay: true });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 512, noDelay: true });

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
  hostname: string;
  port: string;
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
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port,
      host: u.host,
      prefix: u.pathname.replace(/\/$/, ""),
    };
    targets.set(base, t);
  }
  return t;
}

/** Resolves `base` (which may carry a path prefix) plus the client's path and query. */
export function upstreamUrl(base: string, pathAndQuery: string): URL {
  const t = upstreamTarget(base);
  return new URL(`${t.https ? "https" : "http"}://${t.host}${t.prefix}${pathAndQuery}`);
}

/**
 * Sends one request upstream over the shared keep-alive agent and resolves with the response once its
 * headers arrive. Rejects with UpstreamError on connection failure, timeout or `cancel()`.
 * The returned `cancel` aborts a request still waiting for its headers (the client went away).
 */
export function sendUpstream(
  target: UpstreamTarget,
  pathAndQuery: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  timeoutMs: number,
): { response: Promise<IncomingMessage>; cancel: () => void } {
  let cancel: () => void = () => {};
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const req = (target.https ? httpsRequest : httpRequest)({
      hostname: target.hostname,
      port: target.port || undefined,
      path: target.prefix + pathAndQuery,
      method,
      headers,
      agent: target.https ? httpsAgent : httpAgent,
    });
    let settled = false;
    const fail = (err: UpstreamError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new UpstreamError(`upstream sent no response within ${timeoutMs} ms`, "timeout")),
      timeoutMs,
    );
    cancel = () => fail(new UpstreamError("client went away", "aborted"));
    req.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(res);
    });
    req.on("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new UpstreamError(`cannot reach upstream ${target.host}: ${err.message}`, "connect"));
    });
    req.end(body);
  });
  return { response, cancel };
}
