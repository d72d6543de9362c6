import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 512 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 512 });

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: "connect" | "timeout" | "aborted",
  ) {
    super(message);
  }
}

/** Resolves `base` (which may carry a path prefix) plus the client's path and query. */
export function upstreamUrl(base: string, pathAndQuery: string): URL {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/$/, "");
  return new URL(`${u.protocol}//${u.host}${prefix}${pathAndQuery}`);
}

/**
 * Sends one request upstream over a keep-alive agent and resolves with the response once its
 * headers arrive. Rejects with UpstreamError on connection failure, timeout or abort.
 */
export function sendUpstream(
  url: URL,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === "https:";
    const req = (isHttps ? httpsRequest : httpRequest)(url, {
      method,
      headers,
      agent: isHttps ? httpsAgent : httpAgent,
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new UpstreamError(`upstream sent no response within ${opts.timeoutMs} ms`, "timeout"));
    }, opts.timeoutMs);
    const onAbort = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new UpstreamError("client went away", "aborted"));
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    req.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
      resolve(res);
    });
    req.on("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new UpstreamError(`cannot reach upstream ${url.host}: ${err.message}`, "connect"));
    });
    req.end(body);
  });
}
