import type { ServerResponse } from "node:http";
import type { Route } from "../response-cache/cache-key";
import type { CachedResponse } from "../response-cache/response-cache";
import { type Json, messageToSseEvents, newMessageId } from "../wire/anthropic";
import { chatCompletionToSse, newOpenAiId, responseToSse } from "../wire/openai";

function freshId(route: Route): string {
  if (route === "anthropic-messages") return newMessageId();
  return newOpenAiId(route === "openai-chat" ? "chatcmpl" : "resp");
}

/** The cached body, parsed, with a fresh id (and creation time), as a new response would carry. */
export function freshBody(route: Route, cached: CachedResponse): Json {
  const body = JSON.parse(cached.text.toString("utf8"));
  body.id = freshId(route);
  if (route === "openai-chat") body.created = Math.floor(Date.now() / 1000);
  if (route === "openai-responses") body.created_at = Math.floor(Date.now() / 1000);
  return body;
}

/** The cached JSON bytes with a fresh id, as chunks; swaps the leading id in place when it can, else re-serialises. */
function freshText(route: Route, cached: CachedResponse): Buffer[] {
  const lead = Buffer.from(`{"id":${JSON.stringify(cached.id)}`);
  if (cached.id && cached.text.subarray(0, lead.length).equals(lead))
    return [Buffer.from(`{"id":${JSON.stringify(freshId(route))}`), cached.text.subarray(lead.length)];
  return [Buffer.from(JSON.stringify(freshBody(route, cached)))];
}

/** Writes a cached response as JSON or, for streaming requests, as the provider's SSE framing. */
export function writeReplay(
  res: ServerResponse,
  route: Route,
  request: Json,
  cached: CachedResponse,
  how: string,
): void {
  if (request.stream) {
    const body = freshBody(route, cached);
    const events =
      route === "anthropic-messages"
        ? messageToSseEvents(body)
        : route === "openai-chat"
          ? chatCompletionToSse(body, { includeUsage: request.stream_options?.include_usage })
          : responseToSse(body);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-ostk-cache": how,
    });
    res.end(events.join(""));
    return;
  }
  const chunks = freshText(route, cached);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": String(chunks.reduce((n, c) => n + c.length, 0)),
    "x-ostk-cache": how,
  });
  res.cork();
  for (const c of chunks) res.write(c);
  res.end();
}
