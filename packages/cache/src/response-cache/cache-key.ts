import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Json } from "../wire/anthropic";

export type Route = "anthropic-messages" | "openai-chat" | "openai-responses";

const EXCLUDED = new Set([
  "metadata",
  "stream",
  "stream_options",
  "user",
  "prompt_cache_key",
  "store",
  "safety_identifier",
  "service_tier",
]);
const CCH = / ?\bcch=[0-9a-fA-F]+;/g;

/** JSON with sorted keys, `cache_control` dropped everywhere and Claude Code's volatile token removed. */
export function canonicalJson(value: Json): string {
  if (typeof value === "string") return JSON.stringify(value.replace(CCH, ""));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((k) => k !== "cache_control" && value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The response-cache key: a hash of everything that changes the answer (path and query,
 * anthropic-version/beta headers, the body minus metadata, stream flags, session ids and
 * cache_control) plus the caller's API-key HMAC, so credentials never share entries.
 */
export function responseCacheKey(
  path: string,
  headers: IncomingHttpHeaders,
  body: Json,
  keyHmac: string,
): string {
  const beta = String(headers["anthropic-beta"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .sort()
    .join(",");
  const fields: Json = {};
  for (const [k, v] of Object.entries(body ?? {})) if (!EXCLUDED.has(k)) fields[k] = v;
  return createHash("sha256")
    .update(path)
    .update("\0")
    .update(String(headers["anthropic-version"] ?? ""))
    .update("\0")
    .update(beta)
    .update("\0")
    .update(String(headers["openai-beta"] ?? ""))
    .update("\0")
    .update(keyHmac)
    .update("\0")
    .update(canonicalJson(fields))
    .digest("hex");
}

export type CacheDecision = { use: true; reason: string } | { use: false; reason: string };

const SAFE_ANTHROPIC_TOOL = (t: Json) => t?.type === undefined || t?.type === "custom";
const SAFE_OPENAI_TOOL = (t: Json) => t?.type === "function" || t?.type === "custom";

/**
 * Whether a request may be answered from / stored in the response cache: only deterministic or
 * opted-in requests (temperature 0, `x-ostk-cache: on`, replay mode), never with server-side
 * tools, containers, MCP servers or previous-response state.
 */
export function cacheDecision(
  route: Route,
  headers: IncomingHttpHeaders,
  body: Json,
  replay: boolean,
): CacheDecision {
  const header = String(headers["x-ostk-cache"] ?? "").toLowerCase();
  if (header === "off") return { use: false, reason: "header-off" };
  if (route === "anthropic-messages") {
    if ((body.tools ?? []).some((t: Json) => !SAFE_ANTHROPIC_TOOL(t)))
      return { use: false, reason: "server-tools" };
    if (body.container || body.mcp_servers) return { use: false, reason: "server-tools" };
  } else {
    if ((body.tools ?? []).some((t: Json) => !SAFE_OPENAI_TOOL(t)))
      return { use: false, reason: "server-tools" };
    if (body.previous_response_id || body.conversation || body.background)
      return { use: false, reason: "stateful" };
    if (typeof body.n === "number" && body.n > 1) return { use: false, reason: "sampled" };
  }
  if (header === "on") return { use: true, reason: "header-on" };
  if (replay) return { use: true, reason: "replay" };
  if (body.temperature === 0) return { use: true, reason: "temperature-0" };
  return { use: false, reason: "sampled" };
}
