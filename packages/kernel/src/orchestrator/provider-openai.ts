import OpenAI from "openai";
import type { ChatMessage, ModelProvider, ModelRequest, ModelResponse, ToolCall } from "./model-types.js";
import { type ClientOptions, headersFor } from "./provider-anthropic.js";

function client(opts: ClientOptions): OpenAI {
  return new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey,
    maxRetries: opts.maxRetries ?? 2,
    timeout: opts.timeoutMs ?? 600_000,
    logLevel: "off",
  });
}

function parseArgs(id: string, name: string, args: string): ToolCall {
  try {
    return { id, name, input: args.trim() === "" ? {} : JSON.parse(args) };
  } catch {
    return { id, name, input: undefined, raw: args };
  }
}

/** OpenAI Chat Completions — also any OpenAI-compatible server (ollama, llama.cpp, vLLM) by base URL. */
export class OpenAIChatProvider implements ModelProvider {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(
    opts: ClientOptions,
    readonly provider: "openai" | "openai-compatible" = "openai",
  ) {
    this.model = opts.model;
    this.client = client(opts);
  }

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const messages: OpenAI.ChatCompletionMessageParam[] = [];
    if (req.system) messages.push({ role: "system", content: req.system });
    for (const m of req.messages) messages.push(...toChat(m));
    const res = await this.client.chat.completions.create(
      {
        model: this.model,
        max_completion_tokens: req.max_tokens,
        messages,
        ...(req.tools.length
          ? {
              tools: req.tools.map((t) => ({
                type: "function" as const,
                function: { name: t.name, description: t.description, parameters: t.input_schema },
              })),
            }
          : {}),
      },
      { headers: headersFor(req), signal: req.signal },
    );
    const choice = res.choices[0];
    const calls = (choice?.message.tool_calls ?? []).flatMap((c) =>
      c.type === "function" ? [parseArgs(c.id, c.function.name, c.function.arguments)] : [],
    );
    const u = res.usage;
    const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
    return {
      text: choice?.message.content ?? "",
      tool_calls: calls,
      stop:
        choice?.finish_reason === "tool_calls"
          ? "tool_use"
          : choice?.finish_reason === "length"
            ? "max_tokens"
            : choice?.finish_reason === "stop"
              ? "end_turn"
              : "other",
      model: res.model,
      usage: {
        input_tokens: (u?.prompt_tokens ?? 0) - cached,
        output_tokens: u?.completion_tokens ?? 0,
        cache_read_tokens: cached,
        cache_write_tokens: 0,
      },
    };
  }
}

function toChat(m: ChatMessage): OpenAI.ChatCompletionMessageParam[] {
  if (m.role === "user") return [{ role: "user", content: m.content }];
  if (m.role === "assistant")
    return [
      {
        role: "assistant",
        content: m.text || null,
        ...(m.tool_calls.length
          ? {
              tool_calls: m.tool_calls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: c.raw ?? JSON.stringify(c.input ?? {}) },
              })),
            }
          : {}),
      },
    ];
  return m.results.map((r) => ({
    role: "tool" as const,
    tool_call_id: r.id,
    content: r.is_error ? `ERROR: ${r.content}` : r.content,
  }));
}

/** OpenAI Responses API (stateless: the whole history is sent as input items each turn). */
export class OpenAIResponsesProvider implements ModelProvider {
  readonly provider = "openai-responses";
  readonly model: string;
  private readonly client: OpenAI;

  constructor(opts: ClientOptions) {
    this.model = opts.model;
    this.client = client(opts);
  }

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const input: OpenAI.Responses.ResponseInputItem[] = [];
    for (const m of req.messages) {
      if (m.role === "user") input.push({ role: "user", content: m.content });
      else if (m.role === "assistant") {
        if (m.text) input.push({ role: "assistant", content: m.text });
        for (const c of m.tool_calls)
          input.push({
            type: "function_call",
            call_id: c.id,
            name: c.name,
            arguments: c.raw ?? JSON.stringify(c.input ?? {}),
          });
      } else
        for (const r of m.results)
          input.push({
            type: "function_call_output",
            call_id: r.id,
            output: r.is_error ? `ERROR: ${r.content}` : r.content,
          });
    }
    const res = await this.client.responses.create(
      {
        model: this.model,
        max_output_tokens: req.max_tokens,
        ...(req.system ? { instructions: req.system } : {}),
        input,
        store: false,
        ...(req.tools.length
          ? {
              tools: req.tools.map((t) => ({
                type: "function" as const,
                name: t.name,
                description: t.description,
                parameters: t.input_schema,
                strict: false,
              })),
            }
          : {}),
      },
      { headers: headersFor(req), signal: req.signal },
    );
    let text = "";
    const calls: ToolCall[] = [];
    for (const item of res.output) {
      if (item.type === "message") for (const c of item.content) if (c.type === "output_text") text += c.text;
      if (item.type === "function_call") calls.push(parseArgs(item.call_id, item.name, item.arguments));
    }
    const u = res.usage;
    const cached = u?.input_tokens_details?.cached_tokens ?? 0;
    return {
      text,
      tool_calls: calls,
      stop: calls.length ? "tool_use" : res.status === "incomplete" ? "max_tokens" : "end_turn",
      model: res.model,
      usage: {
        input_tokens: (u?.input_tokens ?? 0) - cached,
        output_tokens: u?.output_tokens ?? 0,
        cache_read_tokens: cached,
        cache_write_tokens: 0,
      },
    };
  }
}
