import { describe, expect, it } from "vitest";
import { AnthropicStreamAssembler, messageToSseEvents } from "./anthropic";
import { SseParser } from "./sse";

const message = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [
    { type: "text", text: "hello ".repeat(40) },
    { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: {
    input_tokens: 12,
    cache_read_input_tokens: 3000,
    cache_creation_input_tokens: 40,
    output_tokens: 77,
  },
};

function assemble(usageOnly: boolean) {
  const asm = new AnthropicStreamAssembler({ usageOnly });
  const parser = new SseParser();
  for (const ev of parser.push(messageToSseEvents(message, { chunkChars: 16 }).join(""))) asm.accept(ev);
  return asm;
}

describe("AnthropicStreamAssembler", () => {
  it("rebuilds the whole message from the stream", () => {
    const asm = assemble(false);
    expect(asm.complete).toBe(true);
    expect(asm.message.content).toEqual(message.content);
    expect(asm.message.stop_reason).toBe("tool_use");
    expect(asm.usage).toMatchObject(message.usage);
  });

  it("usageOnly skips content events but keeps completion, stop reason and usage", () => {
    const asm = assemble(true);
    expect(asm.complete).toBe(true);
    expect(asm.message.content).toEqual([]);
    expect(asm.message.stop_reason).toBe("tool_use");
    expect(asm.usage).toEqual(assemble(false).usage);
  });
});
