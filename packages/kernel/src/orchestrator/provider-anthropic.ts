import Anthropic from "@anthropic-ai/sdk";
import type { ChatMessage, ModelProvider, ModelRequest, ModelResponse, ToolCall } from "./model-types.js";

export interface ClientOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  maxRetries?: number;
  timeoutMs?: number;
}

/** Anthropic Messages API through the official SDK. */
export class AnthropicProvider implements ModelProvider {
  readonly provider = "anthropic";
  readonly model: string;
  private readonly client: Anthropic;

  constructor(opts: ClientOptions) {
    this.model = opts.model;
    this.client = new Anthropic({
      baseURL: opts.baseURL,
      apiKey: opts.apiKey,
      maxRetries: opts.maxRetries ?? 2,
      timeout: opts.timeoutMs ?? 600_000,
      logLevel: "off",
    });
  }

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const body = {
      model: this.model,
      max_tokens: req.max_tokens,
      ...(req.system ? { system: req.system } : {}),
      messages: toAnthropicMessages(req.messages),
      ...(req.tools.length
        ? {
            tools: req.tools.map((t) => ({
              name: t.name,
              description: t.description,
              input_schema: t.input_schema,
            })),
          }
        : {}),
    } as Anthropic.MessageCreateParamsNonStreaming;
    const msg = await this.client.messages.create(body, { headers: headersFor(req), signal: req.signal });
    const text = msg.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
    const tool_calls: ToolCall[] = msg.content.flatMap((b) =>
      b.type === "tool_use" ? [{ id: b.id, name: b.name, input: b.input }] : [],
    );
    const u = msg.usage;
    return {
      text,
      tool_calls,
      stop:
        msg.stop_reason === "tool_use"
          ? "tool_use"
          : msg.stop_reason === "max_tokens"
            ? "max_tokens"
            : msg.stop_reason === "end_turn"
              ? "end_turn"
              : "other",
      model: msg.model,
      usage: {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_read_tokens: u.cache_read_input_tokens ?? 0,
        cache_write_tokens: u.cache_creation_input_tokens ?? 0,
      },
    };
  }
}

export function headersFor(req: ModelRequest): Record<string, string> {
  const h: Record<string, string> = {};
  if (req.traceparent) h.traceparent = req.traceparent;
  if (req.session) h["x-ostk-session"] = req.session;
  return h;
}

function toAnthropicMessages(messages: ChatMessage[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  for (const m of messages) {
    if (m.role === "user") out.push({ role: "user", content: m.content });
    else if (m.role === "assistant") {
      const content: Anthropic.ContentBlockParam[] = [];
      if (m.text) content.push({ type: "text", text: m.text });
      for (const c of m.tool_calls)
        content.push({
          type: "tool_use",
          id: c.id,
          name: c.name,
          input: (c.input ?? {}) as Record<string, unknown>,
        });
      out.push({
        role: "assistant",
        content: content.length ? content : [{ type: "text", text: "(no output)" }],
      });
    } else {
      out.push({
        role: "user",
        content: m.results.map((r) => ({
          type: "tool_result",
          tool_use_id: r.id,
          content: r.content,
          is_error: r.is_error,
        })),
      });
    }
  }
  return out;
}
