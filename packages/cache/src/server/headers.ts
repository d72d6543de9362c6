import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
]);

const NONE: ReadonlySet<string> = new Set();

/** Header names the `Connection` header lists as hop-by-hop (none for the usual keep-alive / close). */
function connectionListed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const c = headers.connection;
  if (c === undefined || c === "keep-alive" || c === "close") return NONE;
  return new Set(
    String(c ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * Headers for the upstream request: the client's own, auth included and unchanged, minus hop-by-hop
 * headers, `expect` (this proxy already read the body) and its own control header; identity encoding
 * so the stream can be read.
 */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  bodyLength: number,
  host: string,
): OutgoingHttpHeaders {
  const listed = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    if (
      k === "host" ||
      k === "content-length" ||
      k === "accept-encoding" ||
      k === "expect" ||
      k === "x-ostk-cache"
    )
      continue;
    out[k] = v;
  }
  out.host = host;
  out["content-length"] = String(bodyLength);
  out["accept-encoding"] = "identity";
  return out;
}

/** Headers for the client: the upstream's, minus hop-by-hop and (when the proxy re-frames the body) length. */
export function clientHeaders(
  headers: IncomingHttpHeaders,
  opts: { dropLength?: boolean } = {},
): OutgoingHttpHeaders {
  const listed = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    if (opts.dropLength && k === "content-length") continue;
    out[k] = v;
  }
  return out;
}
