import type { JournalEntry } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/orchestrator/model-types.js";
import { orchestratorEnv } from "./harness.js";

const body = (from: string) => `FROM ${from}
TASK "Rename the greeting."
TOOL file:read file:edit
LIMIT turns 8
`;

/** What a run did, with the ids that legitimately differ (sessions, traces, tool-call ids, seqs) taken out. */
function shape(entries: JournalEntry[], messages: ChatMessage[]) {
  const ids = new Map<string, string>();
  const id = (x: string) => {
    if (!ids.has(x)) ids.set(x, `call-${ids.size}`);
    return ids.get(x)!;
  };
  return {
    journal: entries
      .filter((e) => e.actor.id === "agent:worker")
      .map((e) => ({
        event: e.event,
        path: e.path,
        op: e.data?.op,
        gen: e.gen_after,
        hash: e.hash_after,
        tools: Array.isArray(e.data?.tool_calls)
          ? (e.data.tool_calls as { name: string; ok: boolean }[]).map((c) => [c.name, c.ok])
          : e.data?.tool_calls,
      })),
    messages: messages.map((m) =>
      m.role === "assistant"
        ? { ...m, tool_calls: m.tool_calls.map((c) => ({ ...c, id: id(c.id) })) }
        : m.role === "tool"
          ? { ...m, results: m.results.map((r) => ({ ...r, id: id(r.id) })) }
          : m,
    ),
  };
}

async function runWith(from: string) {
  await using t = await orchestratorEnv();
  t.write("hello.txt", "hello world\n");
  const af = t.agentfile(body(from));
  t.up.enqueue(
    { toolUses: [{ name: "read", input: { path: "hello.txt" } }] },
    { toolUses: [{ name: "edit", input: { path: "hello.txt", old_str: "world", new_str: "ostk" } }] },
    { text: "Renamed." },
  );
  const s = await t.run(af);
  return {
    s,
    file: t.read("hello.txt"),
    paths: t.up.requests.map((r) => r.path),
    shape: shape(await t.journal(), t.store.messages(s.session)),
  };
}

describe("ostk run: FROM is the only thing that names the provider", () => {
  it("an Anthropic run and an OpenAI run of the same Agentfile do the same things", async () => {
    const a = await runWith("anthropic/claude-sonnet-4-6");
    const o = await runWith("openai/gpt-4.1");
    expect(a.paths).toEqual(["/v1/messages", "/v1/messages", "/v1/messages"]);
    expect(o.paths).toEqual(["/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions"]);
    expect(o.file).toBe("hello ostk\n");
    expect(o.file).toBe(a.file);
    expect(o.shape).toEqual(a.shape);
    const pick = ({ status, reason, turns, tool_calls, tool_errors, final_text }: typeof a.s) => ({
      status,
      reason,
      turns,
      tool_calls,
      tool_errors,
      final_text,
    });
    expect(pick(o.s)).toEqual(pick(a.s));
    expect(a.s.model).toBe("anthropic/claude-sonnet-4-6");
    expect(o.s.model).toBe("openai/gpt-4.1");
  });
});
