// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is Agentfile syntax, not a JS template
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.js";
import { formatAgentRuns, listAgentRuns } from "../../src/orchestrator/run-command.js";
import { probeSandbox } from "../../src/sandbox/index.js";
import { orchestratorEnv } from "./harness.js";

function io(cwd: string, env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      cwd,
      env: env as NodeJS.ProcessEnv,
    },
  };
}

describe("ostk run / kill / agentfile from the CLI", () => {
  it("--dry-run shows the plan without calling anything; a run prints a JSON summary; ps lists it; kill refuses politely", async () => {
    await using t = await orchestratorEnv();
    t.write("README.md", "# demo\n");
    t.agentfile(
      "FROM ${MODEL:-anthropic/claude-haiku-4-5}\nTOOL file:read\nLIMIT turns 4\n",
      ".ostk/agents/reader.af",
    );
    const c = io(t.env.workspace, { ...t.providerEnv, OSTK_CACHE_URL: "http://127.0.0.1:9" });
    expect(await main(["run", "reader", "--dry-run", "--json", "--task", "summarise README.md"], c.io)).toBe(
      0,
    );
    expect(JSON.parse(c.out[0])).toMatchObject({
      agent: "reader",
      model: "anthropic/claude-haiku-4-5",
      endpoint: "http://127.0.0.1:9",
      via_cache: true,
      tools: ["read", "list", "search"],
      task: "summarise README.md",
    });
    expect(t.up.requests).toHaveLength(0);

    t.up.enqueue({ toolUses: [{ name: "read", input: { path: "README.md" } }] }, { text: "A demo." });
    const r = io(t.env.workspace, { ...t.providerEnv, MODEL: "openai/gpt-4.1" });
    expect(await main(["run", "reader", "--json", "--task", "summarise README.md"], r.io)).toBe(0);
    const summary = JSON.parse(r.out[0]);
    expect(summary).toMatchObject({
      status: "finished",
      model: "openai/gpt-4.1",
      final_text: "A demo.",
      turns: 2,
    });
    expect(r.err.join("\n")).toContain("model calls go straight to the provider");

    expect(listAgentRuns(t.env.workspace)).toEqual([]);
    const all = listAgentRuns(t.env.workspace, { all: true });
    expect(all.map((x) => [x.session, x.name, x.status])).toEqual([[summary.session, "reader", "finished"]]);
    expect(formatAgentRuns(all)[1]).toContain("reader");

    const k = io(t.env.workspace, {});
    expect(await main(["kill", summary.session], k.io)).toBe(0);
    expect(k.out[0]).toBe(`${summary.session} is already finished`);
  });

  it("a run with no TASK anywhere fails before anything is spawned, and lint errors stop ostk run", async () => {
    await using t = await orchestratorEnv();
    t.agentfile("FROM anthropic/claude-haiku-4-5\nTOOL file:read\n", "a.af");
    const c = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "a.af"], c.io)).toBe(1);
    expect(c.err.join("\n")).toMatch(/no TASK; pass --task/);
    t.write("b.af", "FROM anthropic/claude-haiku-4-5\nTOOL file:reed\n");
    const b = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "b.af", "--task", "x"], b.io)).toBe(1);
    expect(b.err.join("\n")).toMatch(/b\.af:2:11: error: unknown file verb "reed"/);
    expect(b.err.join("\n")).toMatch(/has errors \(above\); nothing ran/);
    expect((await t.journal()).filter((e) => e.event === "agent.spawn")).toEqual([]);
  });

  it("ostk agentfile lint goes through the kernel CLI", async () => {
    await using t = await orchestratorEnv();
    t.write("w.af", "FROM auto\nLIMIT turns zero\n");
    const c = io(t.env.workspace, {});
    expect(await main(["agentfile", "lint", "w.af"], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^w\.af:2:13: error: expected a positive whole number of turns/);
  });

  it("ps shows a run whose process died as crashed; kill marks it killed; a live run cannot be resumed twice", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK x\nTOOL file:read\n");
    const base = {
      name: "worker",
      agentfile_path: af.path!,
      agentfile_sha256: af.sha256,
      provider: "anthropic",
      model: "claude-haiku-4-5",
      status: "running" as const,
      stop_reason: null,
      trace_id: "0".repeat(32),
      started_at: Date.now(),
      turns: 1,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: 0,
      tool_calls: 0,
      snapshot: JSON.stringify({ task: "x", elapsed_ms: 0, tool_errors: 0, partial: [], overhead_ms: 0 }),
      summary: null,
    };
    t.store.create({ ...base, session: "dead-run", pid: 2 ** 22 + 12345 });
    t.store.create({ ...base, session: "live-run", pid: process.ppid });
    const rows = listAgentRuns(t.env.workspace);
    expect(rows.find((r) => r.session === "dead-run")).toMatchObject({ stop_reason: "process-gone" });
    expect(formatAgentRuns(rows).join("\n")).toMatch(/dead-run.*crashed/);
    await expect(t.run(af, { resume: "live-run" })).rejects.toThrow(/still live in process/);
    const k = io(t.env.workspace, {});
    expect(await main(["kill", "dead-run"], k.io)).toBe(0);
    expect(k.out[0]).toMatch(/had no live process; marked killed/);
    expect(t.store.get("dead-run")).toMatchObject({ status: "killed" });
  });

  it.skipIf(!probeSandbox().available)("shows the agent's command output live on stderr", async () => {
    await using t = await orchestratorEnv();
    t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK say hi\nTOOL bash\n", "hi.af");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "echo hello-from-sandbox" } }] },
      { text: "said hi" },
    );
    const c = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "hi.af"], c.io)).toBe(0);
    expect(c.err.join("\n")).toContain("  │ hello-from-sandbox");
    expect(c.out.join("\n")).toContain("said hi");
  });

  it.skipIf(!probeSandbox().available)("ostk kill stops the run and the command it was running", async () => {
    await using t = await orchestratorEnv();
    t.write("out/.keep", "");
    t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK wait\nTOOL bash\n", "slow.af");
    t.up.enqueue({ toolUses: [{ name: "bash", input: { command: "sleep 2 && echo late > out/late.txt" } }] });
    const c = io(t.env.workspace, t.providerEnv);
    const running = main(["run", "slow.af", "--json"], c.io);
    let session: string | undefined;
    for (let i = 0; i < 100 && !session; i++) {
      await new Promise((r) => setTimeout(r, 50));
      session = t.store.list()[0]?.session;
    }
    await new Promise((r) => setTimeout(r, 400));
    // Another process would signal the run's pid; in-process, the flag in sessions.db is what the run sees.
    t.store.requestKill(session!, Date.now());
    expect(await running).toBe(1);
    expect(JSON.parse(c.out[0])).toMatchObject({ status: "killed" });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(fs.existsSync(path.join(t.env.workspace, "out/late.txt"))).toBe(false);
  });

  it("ostk run --resume continues a failed run, and refuses when the Agentfile changed since", async () => {
    await using t = await orchestratorEnv();
    t.write("n.txt", "1\n");
    t.agentfile("FROM openai/gpt-4.1\nTASK read n.txt\nTOOL file:read\n", "r.af");
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "n.txt" } }] },
      { error: { status: 400, message: "boom" } },
    );
    const first = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "r.af", "--json"], first.io)).toBe(1);
    const { session } = JSON.parse(first.out[0]);
    t.up.enqueue({ text: "one" });
    const again = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "--resume", session, "--json"], again.io)).toBe(0);
    expect(JSON.parse(again.out[0])).toMatchObject({ session, status: "finished", final_text: "one" });

    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "n.txt" } }] },
      { error: { status: 400, message: "boom" } },
    );
    const third = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "r.af", "--json"], third.io)).toBe(1);
    const failed = JSON.parse(third.out[0]).session;
    t.write("r.af", "FROM openai/gpt-4.1\nTASK read n.txt\nTOOL file:read bash\n");
    const tampered = io(t.env.workspace, t.providerEnv);
    expect(await main(["run", "--resume", failed], tampered.io)).toBe(1);
    expect(tampered.err.join("\n")).toMatch(/changed since run .* started/);
  });
});
