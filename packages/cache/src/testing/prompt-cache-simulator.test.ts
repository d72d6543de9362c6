import { describe, expect, it } from "vitest";
import { AnthropicCacheSimulator, OpenAiCacheSimulator } from "./prompt-cache-simulator";

const big = (n: number) => "x".repeat(n);
const body = (extra: object[] = [], cc: object | undefined = { type: "ephemeral" }) => ({
  model: "claude-sonnet-4-6",
  system: [{ type: "text", text: big(8000), cache_control: cc }],
  messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }, ...extra],
});

describe("AnthropicCacheSimulator", () => {
  it("writes at a breakpoint, then reads the same prefix", () => {
    const sim = new AnthropicCacheSimulator();
    const first = sim.process("k", body());
    if (!("usage" in first)) throw new Error("unexpected error");
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1900);
    const second = sim.process("k", body());
    if (!("usage" in second)) throw new Error("unexpected error");
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it("keeps caches apart per API key and skips prefixes below the minimum", () => {
    const sim = new AnthropicCacheSimulator();
    sim.process("a", body());
    const other = sim.process("b", body());
    expect("usage" in other && other.usage.cache_read_input_tokens).toBe(0);
    const small = {
      model: "claude-sonnet-4-6",
      system: [{ type: "text", text: "short", cache_control: { type: "ephemeral" } }],
      messages: [],
    };
    const r = sim.process("a", small);
    expect("usage" in r && r.usage.cache_creation_input_tokens).toBe(0);
  });

  it("finds an earlier entry within 20 blocks of a later breakpoint, not beyond", () => {
    const sim = new AnthropicCacheSimulator();
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "text", text: `block ${i}` }));
    const mk = (n: number) => ({
      model: "claude-sonnet-4-6",
      system: [{ type: "text", text: big(8000) }],
      messages: [
        {
          role: "user",
          content: blocks(n).map((b, i) =>
            i === n - 1 ? { ...b, cache_control: { type: "ephemeral" } } : b,
          ),
        },
      ],
    });
    sim.process("k", mk(2));
    const near = sim.process("k", mk(10));
    expect("usage" in near && near.usage.cache_read_input_tokens).toBeGreaterThan(0);
    const sim2 = new AnthropicCacheSimulator();
    sim2.process("k", mk(2));
    const far = sim2.process("k", mk(40));
    expect("usage" in far && far.usage.cache_read_input_tokens).toBe(0);
  });

  it("expires 5-minute entries and rejects 5 breakpoints or 1h after 5m", () => {
    let now = 0;
    const sim = new AnthropicCacheSimulator({ now: () => now });
    sim.process("k", body());
    now += 6 * 60_000;
    const r = sim.process("k", body());
    expect("usage" in r && r.usage.cache_read_input_tokens).toBe(0);
    const cc = { type: "ephemeral" };
    const five = {
      ...body(),
      tools: [1, 2, 3, 4].map((i) => ({ name: `t${i}`, input_schema: {}, cache_control: cc })),
    };
    expect(sim.process("k", five)).toHaveProperty("error");
    const mixed = body([
      {
        role: "assistant",
        content: [{ type: "text", text: "a", cache_control: { type: "ephemeral", ttl: "1h" } }],
      },
    ]);
    expect(sim.process("k", mixed)).toHaveProperty("error");
  });
});

describe("OpenAiCacheSimulator", () => {
  it("reports cached tokens only for prompts of 1024 tokens or more", () => {
    const sim = new OpenAiCacheSimulator();
    const long = { model: "gpt-4o", messages: [{ role: "user", content: big(20000) }] };
    expect(sim.process("k", long).cached).toBe(0);
    expect(sim.process("k", long).cached).toBeGreaterThanOrEqual(1024);
    const short = { model: "gpt-4o", messages: [{ role: "user", content: big(1000) }] };
    sim.process("k", short);
    expect(sim.process("k", short).cached).toBe(0);
  });
});
