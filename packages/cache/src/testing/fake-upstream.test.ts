import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream";

let up: FakeUpstream;
let anthropic: Anthropic;
let openai: OpenAI;
beforeAll(async () => {
  up = await startFakeUpstream();
  anthropic = new Anthropic({ apiKey: "sk-ant-fake-direct", baseURL: up.url, maxRetries: 0 });
  openai = new OpenAI({ apiKey: "sk-fake-direct", baseURL: `${up.url}/v1`, maxRetries: 0 });
});
afterAll(() => up.close());

const msg = {
  model: "claude-sonnet-4-6",
  max_tokens: 100,
  messages: [{ role: "user" as const, content: "hello" }],
};

describe("fake upstream speaks the wire formats the official SDKs expect", () => {
  it("Anthropic JSON and streaming, with tool use", async () => {
    up.enqueue(
      { text: "hi there" },
      { text: "calling", toolUses: [{ name: "Read", input: { file_path: "/a.ts" } }] },
    );
    const r = await anthropic.messages.create(msg);
    expect(r.content[0]).toMatchObject({ type: "text", text: "hi there" });
    const stream = anthropic.messages.stream(msg);
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[1]).toMatchObject({ type: "tool_use", name: "Read", input: { file_path: "/a.ts" } });
    const count = await anthropic.messages.countTokens({ model: msg.model, messages: msg.messages });
    expect(count.input_tokens).toBeGreaterThan(0);
  });

  it("Anthropic error modes: 529 and a mid-stream error event", async () => {
    up.enqueue({ error: { status: 529 } }, { text: "x".repeat(500), midStreamError: { afterEvents: 3 } });
    await expect(anthropic.messages.create(msg)).rejects.toMatchObject({ status: 529 });
    await expect(anthropic.messages.stream(msg).finalMessage()).rejects.toThrow(/Overloaded/);
  });

  it("OpenAI chat and responses, JSON and streaming", async () => {
    up.enqueue(
      { text: "chat reply" },
      { text: "streamed chat" },
      { text: "resp" },
      { text: "resp streamed" },
    );
    const c = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(c.choices[0].message.content).toBe("chat reply");
    const s = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("streamed chat");
    const r = await openai.responses.create({ model: "gpt-4o", input: "hi" });
    expect(r.output_text).toBe("resp");
    const rs = openai.responses.stream({ model: "gpt-4o", input: "hi" });
    const final = await rs.finalResponse();
    expect(final.output_text).toBe("resp streamed");
  });
});
