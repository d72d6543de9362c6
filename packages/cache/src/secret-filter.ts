import { redactString } from "./lib-seam";
import type { Route } from "./response-cache/cache-key";
import type { Json } from "./wire/anthropic";
import { formatSse, type SseEvent } from "./wire/sse";

/** Masks secrets in the text of a final response body (tool-use JSON is left alone). Mutates and returns it. */
export function filterResponseBody(route: Route, body: Json): Json {
  if (route === "anthropic-messages") {
    for (const b of body?.content ?? [])
      if (b?.type === "text" && typeof b.text === "string") b.text = redactString(b.text);
  } else if (route === "openai-chat") {
    for (const c of body?.choices ?? [])
      if (typeof c?.message?.content === "string") c.message.content = redactString(c.message.content);
  } else {
    for (const item of body?.output ?? [])
      for (const part of item?.content ?? [])
        if (typeof part?.text === "string") part.text = redactString(part.text);
  }
  return body;
}

const HOLD = 256;

/** How much of `pending` can be released now: up to a whitespace before the last HOLD chars, never into an open PEM block. */
function releasable(pending: string): number {
  const pem = pending.lastIndexOf("-----BEGIN");
  if (pem !== -1 && pending.indexOf("-----END", pem) === -1)
    return Math.max(0, pending.lastIndexOf(" ", pem));
  if (pending.length <= HOLD) return 0;
  const limit = pending.length - HOLD;
  const ws = Math.max(pending.lastIndexOf(" ", limit), pending.lastIndexOf("\n", limit));
  return ws > 0 ? ws + 1 : 0;
}

/**
 * Rewrites an SSE stream so text deltas are masked before the client sees them. Text is held back
 * briefly (up to 256 characters, cut at whitespace) so a secret split across deltas is still caught;
 * held text is released before the block's stop event. Framing and tool-use JSON are unchanged.
 */
export class StreamSecretFilter {
  private pending = new Map<string, string>();
  constructor(private readonly route: Route) {}

  /** The SSE text to send for one upstream event. */
  transform(ev: SseEvent): string {
    if (ev.data === "[DONE]") return formatSse(ev.event, ev.data);
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return formatSse(ev.event, ev.data);
    }
    if (this.route === "anthropic-messages") return this.anthropic(ev.event, data);
    if (this.route === "openai-chat") return this.chat(data);
    return this.responses(ev.event, data);
  }

  private take(id: string, add: string, flush: boolean): string {
    const p = (this.pending.get(id) ?? "") + add;
    const n = flush ? p.length : releasable(p);
    this.pending.set(id, p.slice(n));
    return n ? redactString(p.slice(0, n)) : "";
  }

  private anthropic(event: string | undefined, data: Json): string {
    const id = String(data.index);
    if (data.type === "content_block_delta" && data.delta?.type === "text_delta") {
      const text = this.take(id, data.delta.text, false);
      return text ? formatSse(event, { ...data, delta: { ...data.delta, text } }) : "";
    }
    if (data.type === "content_block_stop" && this.pending.get(id)) {
      const text = this.take(id, "", true);
      const flush = formatSse("content_block_delta", {
        type: "content_block_delta",
        index: data.index,
        delta: { type: "text_delta", text },
      });
      return flush + formatSse(event, data);
    }
    return formatSse(event, data);
  }

  private chat(data: Json): string {
    let out = "";
    for (const c of data.choices ?? []) {
      const id = String(c.index);
      if (typeof c.delta?.content === "string")
        c.delta.content = this.take(id, c.delta.content, Boolean(c.finish_reason));
      if (c.finish_reason && this.pending.get(id)) {
        const rest = this.take(id, "", true);
        out += formatSse(undefined, {
          ...data,
          choices: [{ index: c.index, delta: { content: rest }, finish_reason: null }],
        });
      }
    }
    return out + formatSse(undefined, data);
  }

  private responses(event: string | undefined, data: Json): string {
    const id = `${data.item_id}:${data.content_index}`;
    if (data.type === "response.output_text.delta") {
      const delta = this.take(id, data.delta, false);
      return delta ? formatSse(event, { ...data, delta }) : "";
    }
    let out = "";
    if (data.type === "response.output_text.done") {
      const rest = this.take(id, "", true);
      if (rest)
        out += formatSse("response.output_text.delta", {
          ...data,
          type: "response.output_text.delta",
          delta: rest,
          text: undefined,
        });
      data.text = redactString(data.text ?? "");
    }
    if (data.part?.text) data.part.text = redactString(data.part.text);
    if (data.item) filterResponseBody("openai-responses", { output: [data.item] });
    if (data.response) filterResponseBody("openai-responses", data.response);
    return out + formatSse(event, data);
  }
}
