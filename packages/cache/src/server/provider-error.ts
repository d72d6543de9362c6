import type { ServerResponse } from "node:http";
import { anthropicErrorBody, anthropicErrorType } from "../wire/anthropic";
import { openaiErrorBody, openaiErrorType } from "../wire/openai";
import { formatSse } from "../wire/sse";

export type Provider = "anthropic" | "openai";

/** An error body in the provider's own shape, so SDKs raise their usual error classes. */
export function providerErrorBody(
  provider: Provider,
  status: number,
  message: string,
  type?: string,
): unknown {
  return provider === "anthropic"
    ? anthropicErrorBody(type ?? anthropicErrorType(status), message)
    : openaiErrorBody(type ?? openaiErrorType(status), message);
}

export function writeProviderError(
  res: ServerResponse,
  provider: Provider,
  status: number,
  message: string,
  extra: Record<string, string> = {},
  body?: unknown,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body ?? providerErrorBody(provider, status, message));
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    "x-ostk-cache-error": "1",
    ...extra,
  });
  res.end(text);
}

/** The event that closes a stream the upstream cut short, in the provider's framing. */
export function streamErrorEvent(route: string, message: string): string {
  if (route === "anthropic-messages") return formatSse("error", anthropicErrorBody("api_error", message));
  if (route === "openai-chat") return formatSse(undefined, openaiErrorBody("server_error", message));
  return formatSse("error", {
    type: "error",
    code: "server_error",
    message,
    param: null,
    sequence_number: 0,
  });
}
