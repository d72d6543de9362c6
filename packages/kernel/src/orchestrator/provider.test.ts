import { type FakeUpstream, startFakeUpstream } from "@ostk/cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelRef } from "../agentfile/types.js";
import { parseModelRef } from "../agentfile/values.js";
import type { ChatMessage, ToolSpec } from "./model-types.js";
import { createProvider } from "./provider-factory.js";

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());

const env = () => ({
  ANTHROPIC_API_KEY: "sk-ant-test",
  OPENAI_API_KEY: "sk-openai-test",
  ANTHROPIC_BASE_URL: up.url,
  OPENAI_BASE_URL: `${up.url}/v1`,
});
const ref = (s: string) => parseModelRef(s) as ModelRef;
const tools: ToolSpec[] = [
  {
    name: "read",
    description: "Read a file",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
];
const history: ChatMessage[] = [
  { role: "user", content: "fix it" },
  {
    role: "assistant",
    text: "looking",
    tool_calls: [{ id: "call_1", name: "read", input: { path: "a.ts" } }],
  },
  { role: "tool", results: [{ id: "call_1", name: "read", content: "x = 1", is_error: false }] },
];

describe.each([
  "anthropic/claude-sonnet-4-6",
  "openai/gpt-4.1",
  "openai-responses/gpt-4.1",
  "ollama/qwen2.5-coder",
])("%s", (from) => {
  it("sends tools and history, returns structured tool calls, usage and the trace header", async () => {
    up.reset();
    up.enqueue({ text: "next", toolUses: [{ name: "read", input: { path: "b.ts" } }] });
    const { provider } = createProvider(ref(from), { env: env(), maxRetries: 0 });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await provider.complete({
      system: "be careful",
      messages: history,
      tools,
      max_tokens: 256,
      traceparent,
      session: "run-1",
    });
    expect(res.tool_calls).toEqual([expect.objectContaining({ name: "read", input: { path: "b.ts" } })]);
    expect(res.text).toBe("next");
    expect(res.stop).toBe("tool_use");
    expect(res.usage.input_tokens + res.usage.cache_read_tokens).toBeGreaterThan(0);
    const req = up.requests.at(-1)!;
    expect(req.headers.traceparent).toBe(traceparent);
    expect(req.headers["x-ostk-session"]).toBe("run-1");
    expect(JSON.stringify(req.body)).toContain("x = 1");
    expect(JSON.stringify(req.body)).toContain("be careful");
  });
});

describe("createProvider", () => {
  it("routes every provider through the cache proxy when OSTK_CACHE_URL is set", () => {
    const e = { ...env(), OSTK_CACHE_URL: "http://127.0.0.1:8080/" };
    expect(createProvider(ref("anthropic/claude-haiku-4-5"), { env: e })).toMatchObject({
      baseURL: "http://127.0.0.1:8080",
      viaCache: true,
    });
    expect(createProvider(ref("openai/gpt-4.1"), { env: e })).toMatchObject({
      baseURL: "http://127.0.0.1:8080/v1",
      viaCache: true,
    });
  });

  it("FROM auto picks the provider whose key is present, and refuses without keys", () => {
    expect(createProvider(ref("auto"), { env: { OPENAI_API_KEY: "k" } }).provider.provider).toBe("openai");
    expect(() => createProvider(ref("auto"), { env: {} })).toThrow(
      /neither ANTHROPIC_API_KEY nor OPENAI_API_KEY/,
    );
  });
});
