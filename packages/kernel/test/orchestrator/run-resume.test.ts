import { describe, expect, it } from "vitest";
import { listAgentRuns } from "../../src/orchestrator/run-command.js";
import { orchestratorEnv } from "./harness.js";

describe("ostk run --resume", () => {
  it("continues a run that stopped on a model failure from its last snapshot, same session and trace", async () => {
    await using t = await orchestratorEnv();
    t.write("data.txt", "42\n");
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK read data.txt\nTOOL file:read\n");
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "data.txt" } }] },
      { error: { status: 500, message: "upstream exploded" } },
    );
    const first = await t.run(af);
    expect(first).toMatchObject({ status: "failed", reason: "model-error", turns: 1 });
    expect(first.detail).toMatch(/upstream exploded/);
    expect(listAgentRuns(t.env.workspace, { all: true })[0]).toMatchObject({
      session: first.session,
      status: "failed",
    });

    t.up.enqueue((req) => {
      // The resumed model call carries the whole history, including the earlier tool result.
      expect(JSON.stringify(req.body)).toContain("42");
      return { text: "The answer is 42." };
    });
    const second = await t.run(af, { resume: first.session });
    expect(second).toMatchObject({
      session: first.session,
      trace_id: first.trace_id,
      status: "finished",
      turns: 2,
      final_text: "The answer is 42.",
    });
    const events = (await t.journal()).filter((e) => e.actor.id === "agent:worker").map((e) => e.event);
    expect(events).toEqual([
      expect.stringMatching(/^session\.(open|grant)$/), // the session the run negotiated
      "agent.spawn",
      "agent.turn",
      "agent.end",
      "agent.resume",
      "agent.turn",
      "agent.end",
    ]);
    await expect(t.run(af, { resume: first.session })).rejects.toThrow(/is finished; nothing to resume/);
  });

  it("survives a daemon restart between turns: the client reconnects and the session carries on", async () => {
    await using t = await orchestratorEnv();
    t.write("a.txt", "one\n");
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK edit a.txt\nTOOL file:read file:edit\n");
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "a.txt" } }] },
      async () => {
        await t.restartKernel();
        return { toolUses: [{ name: "edit", input: { path: "a.txt", old_str: "one", new_str: "two" } }] };
      },
      { text: "done" },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "finished", tool_errors: 0 });
    expect(t.read("a.txt")).toBe("two\n");
    const commit = (await t.journal()).find((e) => e.event === "fs.commit" && e.path === "a.txt")!;
    expect(commit).toMatchObject({ actor: { id: "agent:worker" }, trace: s.trace_id });
  });

  it("RESTART on-failure resumes a failed run by itself", async () => {
    await using t = await orchestratorEnv();
    t.write("data.txt", "7\n");
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK read data.txt\nTOOL file:read\nRESTART on-failure\n");
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "data.txt" } }] },
      { error: { status: 500, message: "flaky" } },
      { text: "seven" },
    );
    const restarts: number[] = [];
    const { createProvider } = await import("../../src/orchestrator/provider-factory.js");
    const { runAgentWithRestart } = await import("../../src/orchestrator/restart.js");
    const s = await runAgentWithRestart({
      agentfile: af,
      name: "worker",
      provider: createProvider(af.from, { env: t.providerEnv, maxRetries: 0 }).provider,
      kernel: t.kernel,
      store: t.store,
      backoffMs: 10,
      onRestart: (n) => restarts.push(n),
    });
    expect(restarts).toEqual([1]);
    expect(s).toMatchObject({ status: "finished", final_text: "seven", turns: 2 });
  });
});
