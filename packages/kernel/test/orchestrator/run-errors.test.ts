import { describe, expect, it } from "vitest";
import { orchestratorEnv } from "./harness.js";

describe("ostk run: refused and broken calls come back as tool errors, and the run continues", () => {
  it("a tool outside TOOL, invalid arguments, unparsable JSON and a kernel refusal", async () => {
    await using t = await orchestratorEnv();
    t.write("notes.txt", "hello\n");
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK look around\nTOOL file:read\nTOOL file:edit(docs/)\n");
    t.up.enqueue(
      { toolUses: [{ name: "bash", input: { command: "rm -rf /" } }] },
      { toolUses: [{ name: "read", input: { path: 42 } }] },
      { toolUses: [{ name: "read", input: { path: "notes.txt", colour: "red" } }] },
      { toolUses: [{ name: "edit", input: { path: "notes.txt", old_str: "hello", new_str: "bye" } }] },
      { toolUses: [{ name: "read", input: { path: "../../etc/passwd" } }] },
      { toolUses: [{ name: "read", input: { path: "notes.txt" } }] },
      { text: "done" },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "finished", turns: 7, tool_calls: 6, tool_errors: 5 });
    const results = t.store
      .messages(s.session)
      .flatMap((m) => (m.role === "tool" ? m.results : []))
      .map((r) => [r.is_error, r.content.split("\n")[0]]);
    expect(results[0]).toEqual([
      true,
      expect.stringMatching(
        /^error \(ToolNotAllowed\): tool "bash" is not available to this agent; available: read, list, search, edit/,
      ),
    ]);
    expect(results[1]).toEqual([
      true,
      expect.stringMatching(/^error \(InvalidArguments\): \/path must be string/),
    ]);
    expect(results[2]).toEqual([
      true,
      expect.stringMatching(/must NOT have additional properties \(colour\)/),
    ]);
    expect(results[3]).toEqual([
      true,
      expect.stringMatching(
        /^error \(ToolNotAllowed\): path notes.txt is outside what this Agentfile grants to "edit" \(docs\/\)/,
      ),
    ]);
    expect(results[4]).toEqual([true, expect.stringMatching(/^error \(PathOutsideWorkspace\)/)]);
    expect(results[5]).toEqual([false, expect.stringMatching(/^\[notes.txt gen=\d+\]$/)]);
    expect(t.read("notes.txt")).toBe("hello\n");
    // The model was told each time, and went on.
    expect(t.up.requests).toHaveLength(7);
  });

  it("arguments that are not JSON at all (OpenAI sends a string) are an InvalidArguments error", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK x\nTOOL file:read\n");
    t.up.enqueue(() => ({ toolUses: [{ name: "read", input: "{not json" as never }] }), { text: "ok" });
    const s = await t.run(af);
    const first = t.store.messages(s.session).find((m) => m.role === "tool");
    expect(first?.role === "tool" && first.results[0].content).toMatch(/InvalidArguments/);
    expect(s.status).toBe("finished");
  });

  it("the Agentfile's PIN: its denies come back as tool errors, on top of the kernel's own pin", async () => {
    await using t = await orchestratorEnv();
    t.write(".ostk/pins/docs-only/pin.caps", "read: **\nwrite: docs/**\nexecute: none\n");
    t.write("src/a.txt", "a\n");
    t.write("docs/b.md", "b\n");
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK edit\nTOOL file:read file:edit\nPIN docs-only\n");
    t.up.enqueue(
      { toolUses: [{ name: "edit", input: { path: "src/a.txt", old_str: "a", new_str: "A" } }] },
      { toolUses: [{ name: "edit", input: { path: "docs/b.md", old_str: "b", new_str: "B" } }] },
      { text: "done" },
    );
    const s = await t.run(af);
    expect(s).toMatchObject({ status: "finished", tool_errors: 1 });
    const results = t.store.messages(s.session).flatMap((m) => (m.role === "tool" ? m.results : []));
    expect(results[0].content).toMatch(
      /^error \(PolicyDenied\): policy denied edit to src\/a.txt.*the Agentfile's PIN docs-only/,
    );
    expect(results[1].is_error).toBe(false);
    expect(t.read("src/a.txt")).toBe("a\n");
    expect(t.read("docs/b.md")).toBe("B\n");
  });

  it("a PIN that does not exist or does not parse stops the run before anything runs", async () => {
    await using t = await orchestratorEnv();
    const af = t.agentfile("FROM openai/gpt-4.1\nTASK x\nTOOL file:read\nPIN nosuch\n");
    await expect(t.run(af)).rejects.toThrow(/pin "nosuch" was selected but .* does not exist/);
    t.write(".ostk/pins/broken/pin.caps", "read **\n");
    const bad = t.agentfile("FROM openai/gpt-4.1\nTASK x\nTOOL file:read\nPIN broken\n", "b.af");
    await expect(t.run(bad)).rejects.toThrow();
    expect((await t.journal()).filter((e) => e.event === "agent.spawn")).toEqual([]);
    expect(t.up.requests).toHaveLength(0);
  });
});
