import { describe, expect, it } from "vitest";
import { orchestratorEnv } from "./harness.js";

const looping = { toolUses: [{ name: "list", input: {} }] };

describe("ostk run: limits stop a run cleanly at the limit, with a summary", () => {
  it("turns", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK loop\nTOOL file:read\nLIMIT turns 3\n");
    t.up.setDefault(looping);
    const s = await t.run(af);
    expect(s).toMatchObject({
      status: "stopped",
      reason: "limit:turns",
      turns: 3,
      detail: "3 of 3 turns used",
    });
    expect(t.up.requests).toHaveLength(3);
    const end = (await t.journal()).find((e) => e.event === "agent.end")!;
    expect(end).toMatchObject({
      trace: s.trace_id,
      data: { status: "stopped", reason: "limit:turns", turns: 3 },
    });
    expect(t.store.get(s.session)).toMatchObject({ status: "stopped", stop_reason: "limit:turns" });
  });

  it("budget_usd, priced from the usage the provider reported", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile(
      "FROM anthropic/claude-sonnet-4-6\nTASK loop\nTOOL file:read\nLIMIT budget_usd 0.50\n",
    );
    // 40 000 output tokens at $15/MTok = $0.60 per turn: the budget is spent after the first turn.
    t.up.setDefault({ ...looping, outputTokens: 40_000 });
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "stopped", reason: "limit:budget_usd", turns: 1 });
    expect(s.cost_usd).toBeGreaterThanOrEqual(0.6);
    expect(s.cost_usd).toBeLessThan(0.61);
    expect(t.up.requests).toHaveLength(1);
  });

  it("tokens", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK loop\nTOOL file:read\nLIMIT tokens 5k\n");
    t.up.setDefault({ ...looping, outputTokens: 2_000 });
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "stopped", reason: "limit:tokens", turns: 3 });
  });

  it("wall_clock, even in the middle of a model call", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile(
      "FROM anthropic/claude-haiku-4-5\nTASK loop\nTOOL file:read\nLIMIT wall_clock 800ms\n",
    );
    t.up.enqueue(looping, { ...looping, delayMs: 5_000 });
    const t0 = Date.now();
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "stopped", reason: "limit:wall_clock", turns: 1 });
    expect(Date.now() - t0).toBeLessThan(4_800); // cut before the 5 s the call would take
    expect(t.store.get(s.session)!.status).toBe("stopped");
  });

  it("a kill signal stops the run as killed", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK loop\nTOOL file:read\n");
    t.up.setDefault({ ...looping, delayMs: 50 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const s = await t.run(af, { signal: ac.signal });
    expect(s).toMatchObject({ status: "killed", reason: "killed" });
    expect((await t.journal()).at(-1)).toMatchObject({ event: "agent.end", data: { status: "killed" } });
  });

  it("elapsed time is counted once (regression: every snapshot re-added the whole segment)", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile(
      "FROM anthropic/claude-haiku-4-5\nTASK loop\nTOOL file:read\nLIMIT turns 5\nLIMIT wall_clock 3s\n",
    );
    t.up.setDefault({ ...looping, delayMs: 100 });
    const t0 = Date.now();
    const s = await t.run(af);
    const wall = Date.now() - t0;
    expect(s).toMatchObject({ status: "stopped", reason: "limit:turns", turns: 5 });
    expect(s.elapsed_ms).toBeLessThanOrEqual(wall);
    expect(JSON.parse(t.store.get(s.session)!.snapshot).elapsed_ms).toBeLessThanOrEqual(wall);
  });
});
