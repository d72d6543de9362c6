import { describe, expect, it } from "vitest";
import { limitReached, maxTokensFor } from "./limits.js";
import { emptyUsage } from "./model-types.js";

describe("limits", () => {
  const u = { ...emptyUsage(), input_tokens: 900, output_tokens: 50 };
  it("reports the first limit reached, with a readable detail", () => {
    expect(limitReached({ turns: 3 }, { turns: 3, usage: u, cost_usd: 0, elapsed_ms: 0 })).toEqual({
      limit: "turns",
      detail: "3 of 3 turns used",
    });
    expect(limitReached({ tokens: 950 }, { turns: 1, usage: u, cost_usd: 0, elapsed_ms: 0 })?.limit).toBe(
      "tokens",
    );
    expect(
      limitReached({ budget_usd: 1 }, { turns: 1, usage: u, cost_usd: 0.99, elapsed_ms: 0 }),
    ).toBeUndefined();
    expect(
      limitReached({ wall_clock_ms: 1000 }, { turns: 1, usage: u, cost_usd: 0, elapsed_ms: 1000 })?.limit,
    ).toBe("wall_clock");
  });
  it("caps a turn's output at what the token limit has left", () => {
    expect(maxTokensFor(undefined, u, 4096)).toBe(4096);
    expect(maxTokensFor(1000, u, 4096)).toBe(50);
    expect(maxTokensFor(100, u, 4096)).toBe(1);
  });
});
