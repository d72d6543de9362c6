import { describe, expect, it } from "vitest";
import { canonicalJson } from "../response-cache/cache-key";
import { claudeCodeSession } from "../testing/claude-code-session";
import { AnthropicCacheSimulator } from "../testing/prompt-cache-simulator";
import { cacheBlocks } from "../wire/cache-blocks";
import { placeBreakpoints } from "./breakpoints";
import { rebuildHistory } from "./rebuild";
import { applySoftCap } from "./soft-cap";
import { stripVolatile } from "./strip-volatile";

const opts = { minTokens: 1024, staticTtl: "1h" as const };
const marks = (body: object) => cacheBlocks(body).filter((b) => b.cacheControl);

describe("stripVolatile", () => {
  it("removes cch and past-turn reminders, keeps the current turn and the first message", () => {
    const body = claudeCodeSession(4)[3];
    const lastBefore = JSON.stringify(body.messages.at(-1));
    const r = stripVolatile(body);
    expect(r.cch).toBe(1);
    expect(JSON.stringify(body.system)).not.toMatch(/cch=/);
    expect(body.system[0].text).toBe("x-anthropic-billing-header: cc_version=2.1.3.a1b; cc_entrypoint=cli;");
    expect(r.reminders).toBe(2);
    expect(JSON.stringify(body.messages.at(-1))).toBe(lastBefore);
    expect(JSON.stringify(body.messages[0])).toMatch(/system-reminder/);
    expect(JSON.stringify(body.messages.slice(1, -1))).not.toMatch(/system-reminder/);
  });
});

describe("placeBreakpoints", () => {
  it("turns Claude Code's 3 breakpoints into at most 4 better ones without touching content", () => {
    const body = claudeCodeSession(6)[5];
    stripVolatile(body);
    const before = canonicalJson(body);
    const r = placeBreakpoints(body, opts);
    expect(r.client).toBe(3);
    expect(r.final).toBe(4);
    expect(r.changed).toBe(true);
    expect(canonicalJson(body)).toBe(before);
    const ttls = marks(body).map((b) => b.cacheControl?.ttl ?? "5m");
    expect(ttls).toEqual(["1h", "1h", "5m", "5m"]);
    expect(marks(body).map((b) => b.section)).toEqual(["tools", "system", "messages", "messages"]);
  });

  it("counts top-level automatic caching against the limit", () => {
    const body = { ...claudeCodeSession(6)[5], cache_control: { type: "ephemeral" } };
    const r = placeBreakpoints(body, opts);
    expect(r.final).toBeLessThanOrEqual(4);
    expect(marks(body).length).toBeLessThanOrEqual(3);
    expect(new AnthropicCacheSimulator().process("k", body)).toHaveProperty("usage");
  });

  it("adds nothing below the model's minimum cacheable length", () => {
    const body = { model: "m", system: "short", messages: [{ role: "user", content: "hi" }] };
    const r = placeBreakpoints(body, opts);
    expect(r.final).toBe(0);
    // Reported unchanged, so the proxy forwards the client's own bytes without re-serialising.
    expect(r.changed).toBe(false);
    expect(body.messages[0].content).toBe("hi");
  });

  it("cuts a Claude-Code-shaped session's billed input by at least 80% against the simulator", () => {
    const bill = (mutate: boolean) => {
      const sim = new AnthropicCacheSimulator();
      let cost = 0;
      for (const body of claudeCodeSession(20)) {
        if (mutate) {
          stripVolatile(body);
          placeBreakpoints(body, opts);
        }
        const r = sim.process("k", body);
        if (!("usage" in r)) throw new Error(r.error);
        const u = r.usage;
        cost +=
          u.input_tokens +
          u.cache_read_input_tokens * 0.1 +
          u.cache_creation.ephemeral_5m_input_tokens * 1.25 +
          u.cache_creation.ephemeral_1h_input_tokens * 2;
      }
      return cost;
    };
    expect(bill(true)).toBeLessThan(bill(false) * 0.2);
  });
});

describe("applySoftCap", () => {
  const big = (n: number) => "x".repeat(n);
  const body = () => ({
    model: "m",
    tools: [{ name: "Read" }, { name: "Unused", description: big(5000) }],
    messages: [
      { role: "user", content: "start" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: big(300_000) }] },
      { role: "assistant", content: [{ type: "tool_use", id: "t2", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: big(50_000) }] },
      { role: "assistant", content: [{ type: "tool_use", id: "t3", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t3", content: big(20_000) }] },
    ],
  });

  it("tier A stubs big tool results, keeping tool_use_id", () => {
    const b = body();
    const r = applySoftCap(b, 200_000);
    expect(r).toMatchObject({ A: 1, B: 0, fits: true });
    expect(b.messages[2].content[0]).toMatchObject({ tool_use_id: "t1" });
    expect(JSON.stringify(b.messages[2])).toMatch(/removed to fit/);
  });

  it("tiers B and C: oldest pairs, never the first message or the newest pair, then unused tools; else D", () => {
    const b = body();
    const r = applySoftCap(b, 22_000);
    expect(r.B).toBe(2);
    expect(r.C).toBe(1);
    expect(b.messages[0].content).toBe("start");
    expect(JSON.stringify(b.messages.slice(-2))).toMatch(/"t3"/);
    expect(r.fits).toBe(true);
    const d = applySoftCap(body(), 1_000);
    expect(d.fits).toBe(false);
  });
});

describe("rebuildHistory", () => {
  it("replaces old turns with one projection, keeps the in-flight chain and repairs orphans", () => {
    const body = claudeCodeSession(12)[11];
    body.messages.push(
      { role: "assistant", content: [{ type: "text", text: "ok" }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "orphan", content: "late" },
          { type: "text", text: "now fix the test" },
        ],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "live", name: "Bash", input: { cmd: "ls" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "live", content: "a b c" }] },
    );
    const chainBefore = JSON.stringify(body.messages.slice(-2));
    const r = rebuildHistory(body, { minMessages: 4 });
    expect(r.replacedMessages).toBeGreaterThan(10);
    expect(r.repairedResults).toBe(1);
    expect(body.messages).toHaveLength(5);
    expect(body.messages[1].content[0].text).toMatch(
      /<ostk-projection>[\s\S]*Prior user intents[\s\S]*Recent tool activity/,
    );
    expect(JSON.stringify(body.messages.slice(-2))).toBe(chainBefore);
    expect(body.messages[2].content[0]).toMatchObject({ type: "text" });
    const [t24, t25] = claudeCodeSession(26).slice(24, 26);
    rebuildHistory(t24, { minMessages: 4 });
    rebuildHistory(t25, { minMessages: 4 });
    expect(JSON.stringify(t25.messages.slice(0, t24.messages.length - 1))).toBe(
      JSON.stringify(t24.messages.slice(0, -1)),
    );
    const withKernel = claudeCodeSession(12)[11];
    expect(rebuildHistory(withKernel, { minMessages: 4, projection: "from kernel" }).source).toBe("kernel");
  });
});
