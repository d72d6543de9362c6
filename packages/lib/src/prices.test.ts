import { describe, expect, it } from "vitest";
import { costOf, priceFor } from "./prices.js";

const zero = { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 };

describe("costOf", () => {
  it("bills Anthropic cache reads at 0.1x and writes at 1.25x (5 min) / 2x (1 h)", () => {
    const c = costOf("anthropic", "claude-sonnet-4-6", {
      ...zero,
      input: 1_000_000,
      cacheRead: 1_000_000,
      cacheWrite5m: 1_000_000,
      cacheWrite1h: 1_000_000,
    })!;
    expect(c.inputCost).toBeCloseTo(3 + 0.3 + 3.75 + 6, 9);
    expect(c.inputUncached).toBeCloseTo(12, 9);
  });

  it("bills OpenAI cached input at its listed price", () => {
    const c = costOf("openai", "gpt-4o-2024-11-20", {
      ...zero,
      input: 1_000_000,
      cacheRead: 1_000_000,
      output: 1_000_000,
    })!;
    expect(c.cost).toBeCloseTo(2.5 + 1.25 + 10, 9);
    expect(c.uncached - c.cost).toBeCloseTo(1.25, 9);
  });

  it("first matching pattern wins, unknown models have no price, and a table can override", () => {
    expect(priceFor("gpt-4o-mini")?.input).toBe(0.15);
    expect(costOf("anthropic", "my-local-model", { ...zero, input: 10 })).toBeUndefined();
    expect(
      costOf("openai", "my-local-model", { ...zero, input: 1_000_000 }, [[/local/, { input: 1, output: 1 }]])
        ?.cost,
    ).toBe(1);
  });
});
