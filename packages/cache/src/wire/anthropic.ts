import { randomBytes } from "node:crypto";
import { formatSse, type SseEvent } from "./sse";

// biome-ignore lint/suspicious/noExplicitAny: provider bodies are opaque JSON
export type Json = any;

/** Token usage as Anthropic reports it (the cache fields may be absent on old models). */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** Anthropic's error body: `{type:"error", error:{type, message}}`. */
export function anthropicErrorBody(type: string, message: string): Json {
  return { type: "error", error: { type, message } };
}

/** The Anthropic error type for an HTTP status, as the API uses them. */
export function anthropicErrorType(status: number): string {
  if (status === 400) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 504) return "timeout_error";
  if (status === 529) return "overloaded_error";
  return "api_error";
}

export function newMessageId(): string {
  return `msg_${randomBytes(12).toString("base64url")}`;
}

export function newToolUseId(): string {
  return `toolu_${randomBytes(12).toString("base64url")}`;
}

/**
 * Turns a complete Messages API response into the SSE events the API would have streamed:
 * message_start, content blocks (start/delta/stop), message_delta, message_stop.
 */
export function messageToSseEvents(message: Json, opts: { chunkChars?: number } = {}): string[] {
  const chunk = opts.chunkChars ?? 64;
  const usage = message.usage ?? {};
  const events: string[] = [];
  events.push(
    formatSse("message_start", {
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens ?? 0) },
      },
    }),
  );
  (message.content ?? []).forEach((block: Json, index: number) => {
    if (block.type === "text") {
      events.push(
        formatSse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "text", text: "" },
        }),
      );
      for (const piece of split(block.text ?? "", chunk)) {
        events.push(
          formatSse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: piece },
          }),
        );
      }
    } else if (block.type === "tool_use" || block.type === "server_tool_use") {
      events.push(
        formatSse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { ...block, input: {} },
        }),
      );
      for (const piece of split(JSON.stringify(block.input ?? {}), chunk)) {
        events.push(
          formatSse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: piece },
          }),
        );
      }
    } else if (block.type === "thinking") {
      events.push(
        formatSse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }),
      );
      for (const piece of split(block.thinking ?? "", chunk)) {
        events.push(
          formatSse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "thinking_delta", thinking: piece },
          }),
        );
      }
      events.push(
        formatSse("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "signature_delta", signature: block.signature ?? "" },
        }),
      );
    } else {
      events.push(
        formatSse("content_block_start", { type: "content_block_start", index, content_block: block }),
      );
    }
    events.push(formatSse("content_block_stop", { type: "content_block_stop", index }));
  });
  events.push(
    formatSse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: message.stop_reason ?? "end_turn", stop_sequence: message.stop_sequence ?? null },
      usage: { output_tokens: usage.output_tokens ?? 0 },
    }),
  );
  events.push(formatSse("message_stop", { type: "message_stop" }));
  return events;
}

function split(text: string, size: number): string[] {
  if (text.length === 0) return [""];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * Rebuilds the final message from a Messages SSE stream and tracks usage.
 * `complete` turns true only on `message_stop`; an `error` event is kept in `error`.
 * With `usageOnly`, events named `content_block_*` or `ping` are not even parsed: the message keeps
 * its id, stop reason and usage but no content (enough for the ledger, not for the response cache).
 */
export class AnthropicStreamAssembler {
  message: Json = null;
  usage: AnthropicUsage | null = null;
  complete = false;
  error: Json = null;
  private partialJson = new Map<number, string>();

  constructor(private readonly opts: { usageOnly?: boolean } = {}) {}

  accept(ev: SseEvent): void {
    if (!ev.data) return;
    if (this.opts.usageOnly && (ev.event === "ping" || ev.event?.startsWith("content_block_"))) return;
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    const type = data.type ?? ev.event;
    switch (type) {
      case "message_start":
        this.message = { ...data.message, content: [] };
        this.usage = { ...(data.message?.usage ?? {}) };
        break;
      case "content_block_start":
        if (this.message) this.message.content[data.index] = { ...data.content_block };
        break;
      case "content_block_delta": {
        const block = this.message?.content[data.index];
        if (!block) break;
        const d = data.delta ?? {};
        if (d.type === "text_delta") block.text = (block.text ?? "") + d.text;
        else if (d.type === "input_json_delta")
          this.partialJson.set(data.index, (this.partialJson.get(data.index) ?? "") + d.partial_json);
        else if (d.type === "thinking_delta") block.thinking = (block.thinking ?? "") + d.thinking;
        else if (d.type === "signature_delta") block.signature = d.signature;
        else if (d.type === "citations_delta") {
          block.citations = [...(block.citations ?? []), d.citation];
        }
        break;
      }
      case "content_block_stop": {
        const block = this.message?.content[data.index];
        const json = this.partialJson.get(data.index);
        if (block && json !== undefined) {
          try {
            block.input = json === "" ? {} : JSON.parse(json);
          } catch {
            block.input = {};
          }
          this.partialJson.delete(data.index);
        }
        break;
      }
      case "message_delta":
        if (this.message) {
          Object.assign(this.message, data.delta ?? {});
          this.usage = { ...(this.usage ?? { input_tokens: 0, output_tokens: 0 }), ...(data.usage ?? {}) };
          this.message.usage = this.usage;
        }
        break;
      case "message_stop":
        this.complete = this.message !== null;
        break;
      case "error":
        this.error = data;
        break;
    }
  }
}
