import * as path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { orchestratorEnv } from "./harness.js";

const WORKER = `FROM anthropic/claude-sonnet-4-6
PROMPT "You fix bugs."
TASK "Make add() add."
TOOL file:read file:edit
LIMIT turns 10
`;

describe("ostk run: the loop over a real kernel and a scripted model", () => {
  it("reads a file, edits it and finishes; the journal names the agent and the run's trace at every step", async () => {
    await using t = await orchestratorEnv();
    t.write("src/add.ts", "export const add = (a: number, b: number) => a - b;\n");
    const af = t.agentfile(WORKER);
    t.up.enqueue(
      { toolUses: [{ name: "read", input: { path: "src/add.ts" } }] },
      (req) => {
        // The model saw the file's content as the tool result.
        expect(JSON.stringify(req.body)).toContain("a - b");
        return {
          toolUses: [{ name: "edit", input: { path: "src/add.ts", old_str: "a - b", new_str: "a + b" } }],
        };
      },
      { text: "Fixed: add() now adds." },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({
      status: "finished",
      reason: "done",
      turns: 3,
      tool_calls: 2,
      tool_errors: 0,
      final_text: "Fixed: add() now adds.",
    });
    expect(t.read("src/add.ts")).toContain("a + b");

    const entries = await t.journal();
    const mine = entries.filter((e) => e.actor.id === "agent:worker");
    expect(mine.map((e) => `${e.event}${e.data?.op ? `:${e.data.op}` : ""}`)).toEqual([
      expect.stringMatching(/^session\.(open|grant)$/), // the session the run negotiated
      "agent.spawn",
      "agent.turn",
      "fs.intent:edit",
      "fs.commit:edit",
      "agent.turn",
      "agent.turn",
      "agent.end",
    ]);
    for (const e of mine) expect(e.trace).toBe(s.trace_id);
    expect(new Set(mine.map((e) => e.actor.session)).size).toBe(1);
    const spawn = mine.find((e) => e.event === "agent.spawn")!;
    expect(spawn).toMatchObject({
      path: "worker.af",
      data: { agentfile_sha256: af.sha256, kernel_hashed: true, name: "worker" },
    });

    // Every model call carried the run's trace and session to the upstream (the cache ledger's keys).
    for (const r of t.up.requests) {
      expect(String(r.headers.traceparent)).toContain(s.trace_id);
      expect(r.headers["x-ostk-session"]).toBe(s.session);
    }
    // Telemetry: one row per syscall, with the run's trace and session (rows are written in batches).
    t.handle().telemetry.flush();
    const tdb = new Database(path.join(t.env.workspace, ".ostk", "telemetry.db"), { readonly: true });
    const calls = tdb
      .prepare("SELECT tool, trace_id, session, outcome FROM calls WHERE actor = 'agent:worker' ORDER BY id")
      .all() as {
      tool: string;
      trace_id: string;
      session: string;
    }[];
    tdb.close();
    expect(calls.map((c) => c.tool)).toEqual(
      expect.arrayContaining(["agent/spawn", "fs/read", "fs/edit", "agent/event"]),
    );
    for (const c of calls)
      expect(c).toMatchObject({
        trace_id: s.trace_id,
        session: c.tool === "session/negotiate" ? null : s.session,
      });

    const row = t.store.get(s.session)!;
    expect(row).toMatchObject({ status: "finished", turns: 3, agentfile_sha256: af.sha256 });
    expect(t.store.messages(s.session).map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "tool",
      "assistant",
      "tool",
      "assistant",
    ]);
  });
});
