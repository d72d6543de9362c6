import { randomBytes } from "node:crypto";
import type { Json } from "./anthropic";
import { formatSse, type SseEvent } from "./sse";

/** OpenAI's error body: `{error:{message, type, param, code}}`. */
export function openaiErrorBody(type: string, message: string, code: string | null = null): Json {
  return { error: { message, type, param: null, code } };
}

export function openaiErrorType(status: number): string {
  if (status === 400 || status === 413) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  return "server_error";
}

export function newOpenAiId(prefix: "chatcmpl" | "resp" | "msg" | "fc" | "call"): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`.replace(/^(resp|msg|fc|call)-/, "$1_");
}

/** Normalised usage for both OpenAI APIs. */
export interface OpenAiUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
}

export function chatUsage(u: Json): OpenAiUsage | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens ?? 0,
    cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    output_tokens: u.completion_tokens ?? 0,
  };
}

export function responsesUsage(u: Json): OpenAiUsage | null {
  if (!u) return null;
  return {
    input_tokens: u.input_tokens ?? 0,
    cached_tokens: u.input_tokens_details?.cached_tokens ?? 0,
    output_tokens: u.output_tokens ?? 0,
  };
}

/** The chunks (`data:` lines, ending with `[DONE]`) a chat completion would have streamed. */
export function chatCompletionToSse(completion: Json, opts: { includeUsage?: boolean } = {}): string[] {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint ?? null,
  };
  const out: string[] = [];
  for (const choice of completion.choices ?? []) {
    const msg = choice.message ?? {};
    const index = choice.index ?? 0;
    out.push(
      formatSse(undefined, {
        ...base,
        choices: [{ index, delta: { role: "assistant", content: "", refusal: null }, finish_reason: null }],
      }),
    );
    const content: string = msg.content ?? "";
    for (let i = 0; i < content.length; i += 64) {
      out.push(
        formatSse(undefined, {
          ...base,
          choices: [{ index, delta: { content: content.slice(i, i + 64) }, finish_reason: null }],
        }),
      );
    }
    (msg.tool_calls ?? []).forEach((call: Json, ti: number) => {
      out.push(
        formatSse(undefined, {
          ...base,
          choices: [
            {
              index,
              delta: {
                tool_calls: [
                  {
                    index: ti,
                    id: call.id,
                    type: "function",
                    function: { name: call.function.name, arguments: "" },
                  },
                ],
              },
              finish_reason: null,
            },
          ],
        }),
      );
      out.push(
        formatSse(undefined, {
          ...base,
          choices: [
            {
              index,
              delta: { tool_calls: [{ index: ti, function: { arguments: call.function.arguments } }] },
              finish_reason: null,
            },
          ],
        }),
      );
    });
    out.push(
      formatSse(undefined, { ...base, choices: [{ index, delta: {}, finish_reason: choice.finish_reason }] }),
    );
  }
  if (opts.includeUsage) out.push(formatSse(undefined, { ...base, choices: [], usage: completion.usage }));
  out.push("data: [DONE]\n\n");
  return out;
}

/** Rebuilds a chat completion from its chunks; `complete` once a finish_reason (and `[DONE]` or usage) arrived. */
export class ChatStreamAssembler {
  completion: Json = null;
  usage: OpenAiUsage | null = null;
  complete = false;
  error: Json = null;
  private finished = false;

  accept(ev: SseEvent): void {
    if (ev.data === "[DONE]") {
      this.complete = this.finished;
      return;
    }
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (data.error) {
      this.error = data;
      return;
    }
    if (!this.completion) {
      this.completion = {
        id: data.id,
        object: "chat.completion",
        created: data.created,
        model: data.model,
        system_fingerprint: data.system_fingerprint ?? null,
        choices: [],
      };
    }
    for (const c of data.choices ?? []) {
      if (!this.completion.choices[c.index])
        this.completion.choices[c.index] = {
          index: c.index,
          message: { role: "assistant", content: null, refusal: null },
          logprobs: null,
          finish_reason: null,
        };
      const choice = this.completion.choices[c.index];
      const d = c.delta ?? {};
      if (typeof d.content === "string") choice.message.content = (choice.message.content ?? "") + d.content;
      for (const tc of d.tool_calls ?? []) {
        if (!choice.message.tool_calls) choice.message.tool_calls = [];
        const calls = choice.message.tool_calls;
        if (!calls[tc.index])
          calls[tc.index] = { id: tc.id, type: "function", function: { name: "", arguments: "" } };
        const call = calls[tc.index];
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.function.name += tc.function.name;
        if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
      }
      if (c.finish_reason) {
        choice.finish_reason = c.finish_reason;
        this.finished = true;
      }
    }
    if (data.usage) {
      this.completion.usage = data.usage;
      this.usage = chatUsage(data.usage);
    }
  }
}

/** The event stream the Responses API would have sent for a completed response. */
export function responseToSse(response: Json): string[] {
  let seq = 0;
  const ev = (type: string, body: Json) => formatSse(type, { type, sequence_number: seq++, ...body });
  const inProgress = { ...response, status: "in_progress", output: [], usage: null };
  const out = [
    ev("response.created", { response: inProgress }),
    ev("response.in_progress", { response: inProgress }),
  ];
  (response.output ?? []).forEach((item: Json, output_index: number) => {
    if (item.type === "message") {
      out.push(
        ev("response.output_item.added", {
          output_index,
          item: { ...item, status: "in_progress", content: [] },
        }),
      );
      (item.content ?? []).forEach((part: Json, content_index: number) => {
        const ids = { item_id: item.id, output_index, content_index };
        out.push(ev("response.content_part.added", { ...ids, part: { ...part, text: "" } }));
        const text: string = part.text ?? "";
        for (let i = 0; i < text.length; i += 64)
          out.push(ev("response.output_text.delta", { ...ids, delta: text.slice(i, i + 64), logprobs: [] }));
        out.push(ev("response.output_text.done", { ...ids, text, logprobs: [] }));
        out.push(ev("response.content_part.done", { ...ids, part }));
      });
    } else if (item.type === "function_call") {
      out.push(
        ev("response.output_item.added", {
          output_index,
          item: { ...item, arguments: "", status: "in_progress" },
        }),
      );
      out.push(
        ev("response.function_call_arguments.delta", {
          item_id: item.id,
          output_index,
          delta: item.arguments,
        }),
      );
      out.push(
        ev("response.function_call_arguments.done", {
          item_id: item.id,
          output_index,
          arguments: item.arguments,
        }),
      );
    } else {
      out.push(ev("response.output_item.added", { output_index, item }));
    }
    out.push(ev("response.output_item.done", { output_index, item }));
  });
  out.push(ev("response.completed", { response }));
  return out;
}

/** Takes the final response from `response.completed`; `error`/`response.failed` are kept in `error`. */
export class ResponsesStreamAssembler {
  completion: Json = null;
  usage: OpenAiUsage | null = null;
  complete = false;
  error: Json = null;

  accept(ev: SseEvent): void {
    let data: Json;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    const type = data.type ?? ev.event;
    if (type === "response.completed") {
      this.completion = data.response;
      this.usage = responsesUsage(data.response?.usage);
      this.complete = true;
    } else if (type === "error" || type === "response.failed" || type === "response.incomplete") {
      this.error = data;
    }
  }
}
