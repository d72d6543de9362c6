import type { ServerResponse } from "node:http";
import type { Route } from "../response-cache/cache-key";
import type { CachedResponse } from "../response-cache/response-cache";
import { type Json, messageToSseEvents, newMessageId } from "../wire/anthropic";
import { chatCompletionToSse, newOpenAiId, responseToSse } from "../wire/openai";

/** A cached body with a fresh id (and creation time), as a new response would carry. */
export function freshBody(route: Route, cached: CachedResponse): Json {
  const body = structuredClone(cached.body);
  if (route === "anthropic-messages") body.id = newMessageId();
  else if (route === "openai-chat") {
    body.id = newOpenAiId("chatcmpl");
    body.created = Math.floor(Date.now() / 1000);
  } else {
    body.id = newOpenAiId("resp");
    body.created_at = Math.floor(Date.now() / 1000);
  }
  return body;
}

/** Writes a cached response as JSON or, for streaming requests, as the provider's SSE framing. */
export function writeReplay(
  res: ServerResponse,
  route: Route,
  request: Json,
  cached: CachedResponse,
  how: string,
): Json {
  const body = freshBody(route, cached);
  if (request.stream) {
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
  } else {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      "x-ostk-cache": how,
    });
    res.end(text);
  }
  return body;
}
