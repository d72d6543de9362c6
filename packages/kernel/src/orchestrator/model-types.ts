/**
 * The provider-neutral conversation the orchestrator keeps. It is what is
 * stored in sessions.db and snapshotted after every turn, so a run can switch
 * or resume across providers: only the provider adapters know wire formats.
 */

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 subset) of the call's arguments. */
  input_schema: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Parsed arguments; `undefined` when the model sent text that is not JSON (see `raw`). */
  input: unknown;
  /** The arguments exactly as the model sent them, when they did not parse. */
  raw?: string;
}

export interface ToolResult {
  id: string;
  name: string;
  content: string;
  is_error: boolean;
}

export type ChatMessage =
  | { role: "user"; content: string }
  | { role: "assistant"; text: string; tool_calls: ToolCall[] }
  | { role: "tool"; results: ToolResult[] };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface ModelRequest {
  system?: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  max_tokens: number;
  /** W3C traceparent sent upstream, so the cache ledger row carries the run's trace id. */
  traceparent?: string;
  /** Session id sent as `x-ostk-session`, so the ledger row names the run. */
  session?: string;
  signal?: AbortSignal;
}

export interface ModelResponse {
  text: string;
  tool_calls: ToolCall[];
  stop: "tool_use" | "end_turn" | "max_tokens" | "other";
  usage: Usage;
  model: string;
}

/** One interface in front of every model API: tool schemas in, structured tool calls out. */
export interface ModelProvider {
  readonly provider: string;
  readonly model: string;
  complete(req: ModelRequest): Promise<ModelResponse>;
}

export function emptyUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cache_read_tokens: a.cache_read_tokens + b.cache_read_tokens,
    cache_write_tokens: a.cache_write_tokens + b.cache_write_tokens,
  };
}
