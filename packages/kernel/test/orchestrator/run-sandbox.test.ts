import * as fs from "node:fs";
import * as path from "node:path";
import type { JournalEntry } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { probeSandbox } from "../../src/sandbox/index.js";
import { orchestratorEnv } from "./harness.js";

const sandbox = probeSandbox().available;

/**
 * The daemon's own wiring (kernelExtensions: exec, approvals, agent/*). The workspace pin comes from
 * .ostk/config.toml (the daemon selects the pin for exec from config / OSTK_PIN).
 */
async function env(pin?: string) {
  const t = await orchestratorEnv();
  if (pin) {
    fs.writeFileSync(path.join(t.env.workspace, ".ostk/config.toml"), `pin = "${pin}"\n`);
    fs.mkdirSync(path.join(t.env.workspace, `.ostk/pins/${pin}`), { recursive: true });
    fs.writeFileSync(
      path.join(t.env.workspace, `.ostk/pins/${pin}/pin.caps`),
      "read: **\nwrite: **\nexecute: none\n",
    );
  }
  return t;
}

const pendingApproval = async (t: Awaited<ReturnType<typeof env>>) => {
  for (let i = 0; i < 400; i++) {
    const r = (await t.client.call("approvals/list", {})) as { approvals: { id: string; status: string }[] };
    const p = r.approvals.find((a) => a.status === "pending");
    if (p) return p.id;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error("no pending approval appeared");
};

describe.skipIf(!sandbox)("ostk run: sandboxed commands, pins and approvals", () => {
  it("reads a file, edits it, runs the tests in the sandbox and finishes; the journal shows each step", async () => {
    await using t = await env();
    t.write("src/add.js", "export const add = (a, b) => a - b;\n");
    t.write("test.sh", "grep -q 'a + b' src/add.js && echo PASS || { echo FAIL; exit 1; }\n");
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK fix add\nTOOL file:read file:edit bash\n");
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "src/add.js" } }] },
      { toolUses: [{ name: "edit", input: { path: "src/add.js", old_str: "a - b", new_str: "a + b" } }] },
      { toolUses: [{ name: "bash", input: { command: "sh test.sh" } }] },
      (req) => {
        expect(JSON.stringify(req.body)).toContain("PASS");
        return { text: "Fixed and tested." };
      },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "finished", turns: 4, tool_calls: 3, tool_errors: 0 });
    const mine = (await t.journal()).filter((e: JournalEntry) => e.actor.id === "agent:worker");
    expect(mine.map((e) => e.event)).toEqual([
      expect.stringMatching(/^session\.(open|grant)$/), // the session the run negotiated
      "agent.spawn",
      "agent.turn",
      "fs.intent",
      "fs.commit",
      "agent.turn",
      "decision",
      "tool.bash",
      "agent.turn",
      "agent.turn",
      "agent.end",
    ]);
    for (const e of mine) {
      expect(e.trace).toBe(s.trace_id);
      expect(e.actor.session).toBe(s.session);
    }
  });

  it("a call the pin denies comes back as a tool error and the run continues", async () => {
    await using t = await env("noexec");
    fs.mkdirSync(path.join(t.env.workspace, ".ostk/pins/noexec"), { recursive: true });
    fs.writeFileSync(
      path.join(t.env.workspace, ".ostk/pins/noexec/pin.caps"),
      "read: **\nwrite: **\nexecute: none\n",
    );
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK try\nTOOL bash file:read\nPIN noexec\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "echo hi" } }] },
      { text: "could not run it" },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "finished", tool_errors: 1 });
    const res = t.store.messages(s.session).find((m) => m.role === "tool");
    expect(res?.role === "tool" && res.results[0].content).toMatch(
      /^error \(PolicyDenied\): policy denied exec/,
    );
  });

  it("a destructive call waits for approval: approving runs it once and the run resumes", async () => {
    await using t = await env();
    t.write("build/cache/out.txt", "old\n");
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK clean\nTOOL bash\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "rm -rf build/cache" } }] },
      { text: "cleaned" },
    );
    await t.client.call("fs/read", { path: "build/cache/out.txt" }); // the kernel tracks it
    const statuses: string[] = [];
    const running = t.run(af, {
      onEvent: (e) => {
        if (e.type === "approval") statuses.push(e.message);
      },
    });
    const id = await pendingApproval(t);
    expect(fs.existsSync(path.join(t.env.workspace, "build/cache/out.txt"))).toBe(true);
    // The run shows that it waits for a human (its watcher polls the kernel's pending approvals).
    for (let i = 0; i < 100 && t.store.list()[0]?.status !== "waiting-approval"; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(t.store.list()[0]).toMatchObject({ status: "waiting-approval" });
    await t.client.call("approvals/approve", { id });
    const s = await running;
    expect(s).toMatchObject({ status: "finished", tool_errors: 0 });
    expect(fs.existsSync(path.join(t.env.workspace, "build/cache"))).toBe(false);
    expect(statuses).toContain("decided");
    const approval = (await t.journal()).find((e) => e.event === "approval.approved")!;
    expect(approval).toMatchObject({
      trace: s.trace_id,
      actor: { id: "agent:worker" },
      data: { outcome: "approved" },
    });
    const deleted = (await t.journal()).find(
      (e) => e.event === "fs.commit" && e.path === "build/cache/out.txt",
    )!;
    expect(deleted).toMatchObject({
      trace: s.trace_id,
      actor: { id: "agent:worker", session: s.session },
      data: { op: "exec" },
    });
  });

  it("denying returns a tool error; nothing ran", async () => {
    await using t = await env();
    t.write("build/out.txt", "old\n");
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK clean\nTOOL bash\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "rm -rf build" } }] },
      { text: "ok, kept it" },
    );
    const running = t.run(af);
    await t.client.call("approvals/deny", { id: await pendingApproval(t) });
    const s = await running;
    expect(s).toMatchObject({ status: "finished", tool_errors: 1 });
    expect(fs.existsSync(path.join(t.env.workspace, "build/out.txt"))).toBe(true);
    const res = t.store.messages(s.session).find((m) => m.role === "tool");
    expect(res?.role === "tool" && res.results[0].content).toMatch(/^error \(ApprovalDenied\)/);
  });

  it("approving still resumes the run after the daemon restarted while it waited", async () => {
    await using t = await env();
    t.write("build/cache/out.txt", "old\n");
    const af = t.agentfile("FROM anthropic/claude-haiku-4-5\nTASK clean\nTOOL bash\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "rm -rf build/cache" } }] },
      { text: "cleaned" },
    );
    const running = t.run(af);
    const first = await pendingApproval(t);
    await t.restartKernel();
    const id = await pendingApproval(t);
    expect(fs.existsSync(path.join(t.env.workspace, "build/cache/out.txt"))).toBe(true);
    await t.client.call("approvals/approve", { id });
    const s = await running;
    const res = t.store.messages(s.session).find((m) => m.role === "tool");
    expect(res?.role === "tool" && res.results[0]).toMatchObject({ is_error: false });
    expect(s).toMatchObject({ status: "finished", tool_errors: 0 });
    expect(fs.existsSync(path.join(t.env.workspace, "build/cache"))).toBe(false);
    // The shutdown cancelled the first request (cancel = deny in the gate); the run issued the call again.
    const rows = (
      (await t.client.call("approvals/list", { all: true })) as { approvals: Record<string, unknown>[] }
    ).approvals;
    expect(rows.find((r) => r.id === first)).toMatchObject({ status: "denied", channel: "cancel" });
    expect(rows.find((r) => r.id === id)).toMatchObject({ status: "approved" });
  });

  it("BOOT commands run once through exec before the first model call; a failing BOOT stops the run", async () => {
    await using t = await env();
    // (The sandbox refuses new files directly in the workspace root on this machine, so BOOT writes under out/.)
    t.write("out/.keep", "");
    const ok = t.agentfile(
      "FROM anthropic/claude-haiku-4-5\nTASK go\nTOOL file:read\nBOOT echo booted > out/boot.txt\n",
    );
    t.up.enqueue({ toolUses: [{ name: "read", input: { path: "out/boot.txt" } }] }, { text: "ok" });
    const s = await t.run(ok);
    expect(s).toMatchObject({ status: "finished", tool_errors: 0 });
    expect(t.read("out/boot.txt")).toBe("booted\n");
    const bad = t.agentfile(
      "FROM anthropic/claude-haiku-4-5\nTASK go\nTOOL file:read\nBOOT exit 3\n",
      "bad.af",
    );
    t.up.reset();
    const b = await t.run(bad);
    expect(b).toMatchObject({ status: "failed", reason: "boot-failed", turns: 0 });
    expect(b.detail).toMatch(/BOOT exit 3 exited with 3/);
    expect(t.up.requests).toHaveLength(0);
  });

  it("a command past its timeout_ms is killed and comes back as a tool error; the run continues", async () => {
    await using t = await env();
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK wait\nTOOL bash\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "sleep 5; echo late", timeout_ms: 300 } }] },
      { text: "gave up" },
    );
    const t0 = Date.now();
    const s = await t.run(af);
    expect(Date.now() - t0).toBeLessThan(4_800); // cut before the 5 s the call would take
    expect(s).toMatchObject({ status: "finished", tool_errors: 1 });
    const res = t.store.messages(s.session).find((m) => m.role === "tool");
    expect(res?.role === "tool" && res.results[0]).toMatchObject({
      is_error: true,
      content: expect.stringMatching(/^\[timed out\]/),
    });
  });
});
