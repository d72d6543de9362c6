import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { estimateTokens } from "../tokens";
import {
  anthropicErrorBody,
  anthropicErrorType,
  type Json,
  messageToSseEvents,
  newMessageId,
  newToolUseId,
} from "../wire/anthropic";
import {
  chatCompletionToSse,
  newOpenAiId,
  openaiErrorBody,
  openaiErrorType,
  responseToSse,
} from "../wire/openai";
import { formatSse } from "../wire/sse";
import { lastUserText } from "../wire/text";
import { AnthropicCacheSimulator, OpenAiCacheSimulator } from "./prompt-cache-simulator";

/** What the fake model does on one request. Every field is optional; the default is a short text reply. */
export interface FakeTurn {
  text?: string;
  toolUses?: { name: string; input: Json; id?: string }[];
  stopReason?: string;
  outputTokens?: number;
  /** Answer with this HTTP error in the provider's shape (e.g. 429, 529). */
  error?: { status: number; type?: string; message?: string; headers?: Record<string, string> };
  /** Streams: send an `error` event after this many events, then end the stream. */
  midStreamError?: { afterEvents?: number; type?: string; message?: string };
  /** Destroy the connection after this many SSE events (streams) or half the body (JSON). */
  cutAfterEvents?: number;
  /** Wait before sending the response headers. */
  delayMs?: number;
  /** Wait between SSE events. */
  chunkDelayMs?: number;
  /** Answer 200 with a body that is not JSON. */
  invalidJson?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  body: Json;
  /** The client closed the connection before the answer was complete. */
  abandoned: boolean;
}

export type FakeScript = FakeTurn | ((req: RecordedRequest) => FakeTurn | Promise<FakeTurn>);

export interface FakeUpstreamOptions {
  port?: number;
  host?: string;
  /** Simulate the providers' prompt caches (default true). */
  simulateCache?: boolean;
  /** Clock for cache TTLs (ms). */
  now?: () => number;
  /** Minimum cacheable tokens by model (defaults to Anthropic's published table). */
  minTokens?: (model: string) => number;
  /** Serve HTTPS with this key and certificate (PEM), as the real providers do. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface FakeUpstream {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queue scripted turns; each request takes the next one (then falls back to the default). */
  enqueue(...turns: FakeScript[]): void;
  /** The turn used when the queue is empty. */
  setDefault(script: FakeScript): void;
  anthropicCache: AnthropicCacheSimulator;
  openaiCache: OpenAiCacheSimulator;
  reset(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts an HTTP (or HTTPS) server that speaks the Anthropic Messages and OpenAI Chat/Responses wire formats. */
export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const queue: FakeScript[] = [];
  let fallback: FakeScript = (req) => ({ text: `ok: ${lastUserText(req.body).slice(0, 60)}` });
  const requests: RecordedRequest[] = [];
  const anthropicCache = new AnthropicCacheSimulator({ now: opts.now, minTokens: opts.minTokens });
  const openaiCache = new OpenAiCacheSimulator({ now: opts.now });
  const simulate = opts.simulateCache !== false;

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks)).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify(anthropicErrorBody("api_error", String(err))));
        } else res.destroy();
      });
    });
  };
  const server: Server = opts.tls ? createTlsServer(opts.tls, listener) : createServer(listener);

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = req.url ?? "/";
    const path = url.split("?")[0];
    let body: Json;
    try {
      body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      url,
      headers: req.headers,
      raw,
      body,
      abandoned: false,
    };
    requests.push(recorded);
    res.on("close", () => {
      if (!res.writableFinished) recorded.abandoned = true;
    });
    const apiKey = String(req.headers["x-api-key"] ?? req.headers.authorization ?? "").replace(
      /^Bearer\s+/i,
      "",
    );
    const isAnthropic = path.startsWith("/v1/messages");
    const isOpenAi = path === "/v1/chat/completions" || path === "/v1/responses";
    if (req.method !== "POST" || (!isAnthropic && !isOpenAi)) {
      return json(res, 404, anthropicErrorBody("not_found_error", `Not found: ${req.method} ${path}`));
    }
    const fail = (status: number, message: string, type?: string) =>
      isAnthropic
        ? json(res, status, anthropicErrorBody(type ?? anthropicErrorType(status), message))
        : json(res, status, openaiErrorBody(type ?? openaiErrorType(status), message));
    if (!apiKey) return fail(401, "missing API key");
    if (body === undefined || typeof body !== "object") return fail(400, "request body is not valid JSON");

    if (path === "/v1/messages/count_tokens") {
      return json(res, 200, { input_tokens: inputTokens(body) });
    }
    const next = queue.length ? queue.shift()! : fallback;
    const turn: FakeTurn = typeof next === "function" ? await next(recorded) : next;
    if (turn.delayMs) await sleep(turn.delayMs);
    if (turn.error) {
      const { status, type, message, headers } = turn.error;
      for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
      return fail(status, message ?? (status === 529 ? "Overloaded" : `error ${status}`), type);
    }
    if (path === "/v1/messages") {
      if (typeof body.model !== "string") return fail(400, "model: Field required");
      if (typeof body.max_tokens !== "number") return fail(400, "max_tokens: Field required");
      if (!Array.isArray(body.messages)) return fail(400, "messages: Field required");
      let usage: Json = {
        input_tokens: inputTokens(body),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      };
      if (simulate) {
        const r = anthropicCache.process(apiKey, body);
        if ("error" in r) return fail(400, r.error);
        usage = r.usage;
      }
      const message = anthropicMessage(body, turn, usage);
      if (body.stream) return stream(res, messageToSseEvents(message), turn, "anthropic");
      return json(res, 200, message, turn, { "request-id": `req_${randomBytes(8).toString("hex")}` });
    }
    if (!body.model) return fail(400, "you must provide a model parameter");
    const sim = simulate ? openaiCache.process(apiKey, body) : { total: inputTokens(body), cached: 0 };
    if (path === "/v1/chat/completions") {
      const completion = chatCompletion(body, turn, sim);
      if (body.stream)
        return stream(
          res,
          chatCompletionToSse(completion, { includeUsage: body.stream_options?.include_usage }),
          turn,
          "chat",
        );
      return json(res, 200, completion, turn);
    }
    const response = responsesResponse(body, turn, sim);
    if (body.stream) return stream(res, responseToSse(response), turn, "responses");
    return json(res, 200, response, turn);
  }

  async function json(
    res: ServerResponse,
    status: number,
    value: Json,
    turn?: FakeTurn,
    headers: Record<string, string> = {},
  ) {
    let text = JSON.stringify(value);
    if (turn?.invalidJson) text = `{"id": "broken", ${text.slice(0, 20)}`;
    if (turn?.cutAfterEvents !== undefined) {
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
      });
      res.write(text.slice(0, text.length >> 1));
      await sleep(5);
      res.socket?.destroy();
      return;
    }
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(text);
  }

  async function stream(
    res: ServerResponse,
    events: string[],
    turn: FakeTurn,
    kind: "anthropic" | "chat" | "responses",
  ) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (turn.cutAfterEvents !== undefined && i >= turn.cutAfterEvents) {
        await sleep(5);
        res.socket?.destroy();
        return;
      }
      if (turn.midStreamError && i >= (turn.midStreamError.afterEvents ?? 1)) {
        const type = turn.midStreamError.type ?? "overloaded_error";
        const message = turn.midStreamError.message ?? "Overloaded";
        if (kind === "anthropic") res.write(formatSse("error", anthropicErrorBody(type, message)));
        else if (kind === "chat") res.write(formatSse(undefined, openaiErrorBody("server_error", message)));
        else
          res.write(
            formatSse("error", { type: "error", code: type, message, param: null, sequence_number: i }),
          );
        res.end();
        return;
      }
      res.write(events[i]);
      if (turn.chunkDelayMs) await sleep(turn.chunkDelayMs);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? "https" : "http"}://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    requests,
    enqueue: (...turns) => queue.push(...turns),
    setDefault: (script) => {
      fallback = script;
    },
    anthropicCache,
    openaiCache,
    reset() {
      queue.length = 0;
      requests.length = 0;
      anthropicCache.clear();
      openaiCache.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function inputTokens(body: Json): number {
  return estimateTokens(
    JSON.stringify([body.tools ?? null, body.system ?? null, body.messages ?? body.input ?? null]),
  );
}

function outputTokens(turn: FakeTurn, text: string): number {
  return turn.outputTokens ?? estimateTokens(text + JSON.stringify(turn.toolUses ?? []));
}

function anthropicMessage(body: Json, turn: FakeTurn, usage: Json): Json {
  const content: Json[] = [];
  const text = turn.text ?? (turn.toolUses?.length ? "" : "ok");
  if (text) content.push({ type: "text", text });
  for (const t of turn.toolUses ?? [])
    content.push({ type: "tool_use", id: t.id ?? newToolUseId(), name: t.name, input: t.input });
  return {
    id: newMessageId(),
    type: "message",
    role: "assistant",
    model: body.model,
    content,
    stop_reason: turn.stopReason ?? (turn.toolUses?.length ? "tool_use" : "end_turn"),
    stop_sequence: null,
    usage: { ...usage, output_tokens: outputTokens(turn, text), service_tier: "standard" },
  };
}

function chatCompletion(body: Json, turn: FakeTurn, sim: { total: number; cached: number }): Json {
  const text = turn.text ?? (turn.toolUses?.length ? null : "ok");
  const toolCalls = (turn.toolUses ?? []).map((t) => ({
    id: t.id ?? newOpenAiId("call"),
    type: "function",
    function: { name: t.name, arguments: JSON.stringify(t.input) },
  }));
  const out = outputTokens(turn, text ?? "");
  return {
    id: newOpenAiId("chatcmpl"),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    system_fingerprint: "fp_fake",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text,
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: turn.stopReason ?? (toolCalls.length ? "tool_calls" : "stop"),
      },
    ],
    usage: {
      prompt_tokens: sim.total,
      completion_tokens: out,
      total_tokens: sim.total + out,
      prompt_tokens_details: { cached_tokens: sim.cached, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}

function responsesResponse(body: Json, turn: FakeTurn, sim: { total: number; cached: number }): Json {
  const output: Json[] = [];
  const text = turn.text ?? (turn.toolUses?.length ? "" : "ok");
  if (text)
    output.push({
      type: "message",
      id: newOpenAiId("msg"),
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
    });
  for (const t of turn.toolUses ?? [])
    output.push({
      type: "function_call",
      id: newOpenAiId("fc"),
      call_id: t.id ?? newOpenAiId("call"),
      name: t.name,
      arguments: JSON.stringify(t.input),
      status: "completed",
    });
  const out = outputTokens(turn, text);
  return {
    id: newOpenAiId("resp"),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: body.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    temperature: body.temperature ?? 1,
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    usage: {
      input_tokens: sim.total,
      input_tokens_details: { cached_tokens: sim.cached },
      output_tokens: out,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: sim.total + out,
    },
  };
}
