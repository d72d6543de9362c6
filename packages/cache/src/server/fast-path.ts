import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Route } from "../response-cache/cache-key";
import { handleCountTokens, handleModelRequest } from "./model-route";
import { writeProviderError } from "./provider-error";
import type { ProxyState } from "./proxy-state";

export const MODEL_ROUTES: [string, Route][] = [
  ["/v1/messages", "anthropic-messages"],
  ["/v1/chat/completions", "openai-chat"],
  ["/v1/responses", "openai-responses"],
];

const ROUTE_OF = new Map<string, Route | "count-tokens">([
  ...MODEL_ROUTES,
  ["/v1/messages/count_tokens", "count-tokens"],
]);

export const tooLargeMessage = (limit: number) =>
  `request body is larger than the proxy's ${limit}-byte limit; nothing was sent upstream`;

/**
 * The request listener for the model routes (POST only): reads the body once into one buffer (the
 * body limit checked on the declared length and while reading) and calls the route handler with the
 * raw request and response. Returns false for every other request, which Fastify then serves.
 */
export function createFastPath(state: ProxyState, open: () => boolean) {
  const limit = state.config.bodyLimitBytes;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== "POST" || !open()) return false;
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const route = ROUTE_OF.get(q < 0 ? url : url.slice(0, q));
    if (!route) return false;
    const t0 = performance.now();
    const provider = route === "openai-chat" || route === "openai-responses" ? "openai" : "anthropic";
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      writeProviderError(res, provider, 413, tooLargeMessage(limit));
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        writeProviderError(res, provider, 413, tooLargeMessage(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (over) return;
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const done =
        route === "count-tokens"
          ? handleCountTokens(state, req, res, raw)
          : handleModelRequest(state, route, req, res, raw, t0);
      done.catch((err: Error) =>
        writeProviderError(res, provider, 500, `ostk-cache could not handle the request: ${err.message}`),
      );
    });
    req.on("error", () => res.destroy());
    return true;
  };
}
