import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecall, type Recall } from "../../src/index.js";
import { projectSlugs } from "../../src/source/transcript-source.js";

/** Lines in the shape Claude Code writes to ~/.claude/projects/<project>/<session>.jsonl. */
function transcript(cwd: string, sessionId: string) {
  let n = 0;
  let parent: string | null = null;
  const base = (type: string, ts: string) => {
    const uuid = `${sessionId.slice(0, 8)}-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    const e = {
      parentUuid: parent,
      isSidechain: false,
      userType: "external",
      cwd,
      sessionId,
      version: "1.0.98",
      gitBranch: "main",
      type,
      uuid,
      timestamp: ts,
    };
    parent = uuid;
    return e;
  };
  const line = (o: unknown) => `${JSON.stringify(o)}\n`;
  return {
    prompt: (text: string, ts: string) =>
      line({ ...base("user", ts), message: { role: "user", content: text } }),
    reply: (text: string, ts: string) =>
      line({
        ...base("assistant", ts),
        requestId: "req_011CS",
        message: {
          id: `msg_${n}`,
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-20250514",
          content: [{ type: "text", text }],
          stop_reason: null,
          usage: { input_tokens: 4, output_tokens: 12 },
        },
      }),
    toolUse: (name: string, input: Record<string, unknown>, ts: string) =>
      line({
        ...base("assistant", ts),
        message: {
          id: `msg_${n}`,
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-20250514",
          content: [{ type: "tool_use", id: `toolu_${n}`, name, input }],
          stop_reason: "tool_use",
          usage: { input_tokens: 4, output_tokens: 12 },
        },
      }),
    toolResult: (content: string, ts: string) =>
      line({
        ...base("user", ts),
        message: { role: "user", content: [{ tool_use_id: `toolu_${n - 1}`, type: "tool_result", content }] },
        toolUseResult: { stdout: content, stderr: "", interrupted: false },
      }),
    summary: (text: string) => line({ type: "summary", summary: text, leafUuid: "x" }),
  };
}

async function until(what: string, fn: () => Promise<boolean>, ms = 6000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An exchange with this prompt is found (searching the transcripts for its words). */
async function hasExchange(r: Recall, prompt: string): Promise<boolean> {
  return (await r.search(prompt, { source: ["transcript"] })).hits.some((h) => h.symbol === prompt);
}

describe("Claude Code transcripts as a source (opt-in, redacted, incremental)", () => {
  let root: string;
  let ws: string;
  let projects: string;
  let file: string;
  let recall: Recall;
  const session = "5d1f3c2a-7b1e-4c55-9a0e-2f6d8e9b1c34";
  const SECRET = "sk-ant-api03-Zq8vW2mN5xR7tY1uI3oP9aS4dF6gH0jK";
  let t: ReturnType<typeof transcript>;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "recall-tx-")));
    ws = join(root, "shop");
    projects = join(root, "claude-projects");
    mkdirSync(join(ws, "src"), { recursive: true });
    writeFileSync(join(ws, "src/cart.ts"), "export function cartTotal(items: number[]) {\n  return 0;\n}\n");
    const dir = join(projects, projectSlugs(ws)[0]);
    mkdirSync(dir, { recursive: true });
    file = join(dir, `${session}.jsonl`);
    t = transcript(ws, session);
    writeFileSync(
      file,
      t.summary("Billing key rotation") +
        t.prompt("How do we rotate the payment gateway credentials?", "2026-11-20T09:00:00.000Z") +
        t.reply("Look at the deploy script first.", "2026-11-20T09:00:05.000Z") +
        t.toolUse(
          "Bash",
          { command: `ANTHROPIC_API_KEY=${SECRET} ./deploy.sh --rotate` },
          "2026-11-20T09:00:06.000Z",
        ) +
        t.toolResult("rotated 2 credentials", "2026-11-20T09:00:09.000Z") +
        t.reply("Rotation done: both gateway credentials were replaced.", "2026-11-20T09:00:10.000Z") +
        t.prompt("Now add a unit test for cartTotal with an empty basket", "2026-11-21T15:30:00.000Z") +
        t.toolUse(
          "Edit",
          { file_path: `${ws}/src/cart.test.ts`, old_string: "", new_string: "test" },
          "2026-11-21T15:30:04.000Z",
        ),
    );
    // another project's transcript (a sibling directory) is never read
    const other = join(projects, projectSlugs(`${root}/elsewhere`)[0]);
    mkdirSync(other, { recursive: true });
    writeFileSync(
      join(other, "a.jsonl"),
      transcript(`${root}/elsewhere`, "o").prompt("zebra crossing lights", "2026-11-21T10:00:00Z"),
    );
    recall = await openRecall({ workspace: ws, config: { transcripts: true, transcriptsDir: projects } });
  }, 60_000);
  afterAll(async () => {
    await recall?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("stores one redacted chunk per exchange, with session, time and cwd", async () => {
    const r = await recall.scan();
    expect(r.exchanges).toBe(2);
    const { hits } = await recall.search("rotate payment gateway credentials", { source: ["transcript"] });
    expect(hits[0]).toMatchObject({
      source: "transcript",
      kind: "exchange",
      symbol: "How do we rotate the payment gateway credentials?",
      time: "2026-11-20T09:00:00.000Z",
      startLine: 2,
      endLine: 6,
    });
    expect(hits[0].path.endsWith(`${session}.jsonl`)).toBe(true);
    const v = await recall.view({ id: hits[0].id });
    expect(v.text).toContain(`Claude Code session ${session} · ${ws} (main) · 2026-11-20T09:00:00.000Z`);
    expect(v.text).toContain("Tool Bash: command: ANTHROPIC_API_KEY=");
    expect(v.text).toContain("result: rotated 2 credentials");
    expect(v.text).toContain("Assistant: Rotation done");
    // the secret never reaches the index
    expect(v.text).not.toContain(SECRET);
    const raw = recall.store.db.prepare("SELECT group_concat(text) FROM chunks").pluck().get() as string;
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain("zebra");
    // time filters apply to exchanges
    const late = await recall.search("unit test cartTotal empty basket", {
      source: ["transcript"],
      since: "2026-11-21",
    });
    expect(late.hits.map((h) => h.symbol)).toEqual([
      "Now add a unit test for cartTotal with an empty basket",
    ]);
  });

  it("re-scans read only new lines; the open exchange grows in place", async () => {
    expect((await recall.scan()).exchanges).toBe(0);
    const before = (await recall.status()).sources.find((s) => s.name === "transcript");
    expect(before).toMatchObject({ enabled: true, chunks: 2, files: 1 });
    appendFileSync(
      file,
      t.toolResult("ok", "2026-11-21T15:30:05.000Z") +
        t.reply("Added an empty-basket test for cartTotal.", "2026-11-21T15:30:08.000Z"),
    );
    expect((await recall.scan()).exchanges).toBe(0);
    const grown = await recall.search("empty-basket test added", { source: ["transcript"] });
    expect(grown.hits[0].snippet + (await recall.view({ id: grown.hits[0].id })).text).toContain(
      "Assistant: Added an empty-basket test",
    );
    const st = (await recall.status()).sources.find((s) => s.name === "transcript");
    expect(st?.chunks).toBe(2);
    const cur = ((st?.cursor ?? []) as { file: string; offset: number; openAt: number }[])[0];
    expect(cur.file).toBe(file);
    expect(cur.offset).toBe((await import("node:fs")).statSync(file).size);
    expect(cur.openAt).toBeLessThan(cur.offset);
  });

  it("while watching, a new exchange is searchable within seconds", async () => {
    await recall.watch();
    try {
      appendFileSync(file, t.prompt("Why is the warehouse sync flaky on Mondays?", new Date().toISOString()));
      await until("the new exchange", () =>
        hasExchange(recall, "Why is the warehouse sync flaky on Mondays?"),
      );
      const recent = await recall.search("warehouse sync", { source: ["transcript"], since: "1h" });
      expect(recent.hits.map((h) => h.symbol)).toEqual(["Why is the warehouse sync flaky on Mondays?"]);
    } finally {
      await recall.unwatch();
    }
  });

  it("while watching, a session in a new project directory and a deleted transcript are picked up", async () => {
    const dir = join(projects, `${projectSlugs(ws)[0]}-packages-api`); // a directory under the workspace
    const rm = join(dir, "22222222-3333-4444-8555-666666666666.jsonl");
    await recall.watch();
    try {
      // created with its directory in one go: a watch may not report the file itself
      mkdirSync(join(dir, "subagents"), { recursive: true });
      writeFileSync(
        join(dir, "subagents", "agent-1.jsonl"),
        transcript(`${ws}/packages/api`, "33333333").prompt(
          "paginate the invoice listing endpoint",
          new Date().toISOString(),
        ),
      );
      writeFileSync(
        rm,
        transcript(ws, "22222222").prompt("rename the loyalty points column", new Date().toISOString()),
      );
      await until(
        "the new project's exchanges",
        async () =>
          (await hasExchange(recall, "paginate the invoice listing endpoint")) &&
          (await hasExchange(recall, "rename the loyalty points column")),
      );
      rmSync(rm);
      await until(
        "the deleted transcript to leave",
        async () => !(await hasExchange(recall, "rename the loyalty points column")),
      );
    } finally {
      await recall.unwatch();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("while watching, a transcripts directory that appears later, or is deleted and made again, is watched", async () => {
    const later = join(root, "later-projects");
    const r2 = await openRecall({
      workspace: ws,
      dataDir: join(root, "index-later"),
      config: { transcripts: true, transcriptsDir: later },
    });
    try {
      await r2.watch();
      const dir = join(later, projectSlugs(ws)[0]);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "s.jsonl"),
        transcript(ws, "44444444").prompt("first session ever", new Date().toISOString()),
      );
      await until("the first transcript", () => hasExchange(r2, "first session ever"), 10_000);
      appendFileSync(
        join(dir, "s.jsonl"),
        transcript(ws, "44444444").prompt("second prompt arrives live", new Date().toISOString()),
      );
      await until("a line appended afterwards", () => hasExchange(r2, "second prompt arrives live"));
      // the whole transcripts directory deleted, then made again: its exchanges leave, new ones arrive
      const exchanges = async () =>
        (await r2.status()).sources.find((s) => s.name === "transcript")?.chunks ?? -1;
      rmSync(later, { recursive: true, force: true });
      await until("the deleted directory's exchanges to leave", async () => (await exchanges()) === 0);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "t.jsonl"),
        transcript(ws, "55555555").prompt("back after a reset", new Date().toISOString()),
      );
      await until(
        "a transcript in the re-made directory",
        () => hasExchange(r2, "back after a reset"),
        10_000,
      );
      appendFileSync(
        join(dir, "t.jsonl"),
        transcript(ws, "55555555").prompt("and live again", new Date().toISOString()),
      );
      await until("a line appended to it", () => hasExchange(r2, "and live again"));
    } finally {
      await r2.close();
    }
  }, 30_000);

  it("a deleted transcript leaves the index, and turning the source off removes every exchange", async () => {
    const extra = join(projects, projectSlugs(ws)[0], "11111111-2222-4333-8444-555555555555.jsonl");
    const tx = transcript(ws, "11111111");
    // a long tool result with a token where the stored excerpt is cut: it is masked before the cut
    const token = "ghp_R8sLw2Xq9ZtV4nB7mK1pD6fH3jY0cE5aG8uQ";
    writeFileSync(
      extra,
      tx.prompt("quarterly tax export format", "2026-11-21T11:00:00Z") +
        tx.toolUse(
          "Write",
          { file_path: `${ws}/tax.csv`, content: "x".repeat(100_000) },
          "2026-11-21T11:00:01Z",
        ) +
        tx.toolResult(`${"y".repeat(215)} ${token} ${"z".repeat(50_000)}`, "2026-11-21T11:00:02Z"),
    );
    const tax = async () =>
      (await recall.search("quarterly tax export", { source: ["transcript"] })).hits.filter(
        (h) => h.symbol === "quarterly tax export format",
      ).length;
    await recall.scan();
    expect(await tax()).toBe(1);
    const stored = recall.store.db.prepare("SELECT group_concat(text) FROM chunks").pluck().get() as string;
    expect(stored).not.toContain(token.slice(0, 12));
    expect(stored).not.toContain("x".repeat(300)); // a Write's file content is not kept
    rmSync(extra);
    await recall.scan();
    expect(await tax()).toBe(0);
    await recall.close();
    recall = await openRecall({ workspace: ws, config: { transcripts: false, transcriptsDir: projects } });
    await recall.scan();
    const st = await recall.status();
    expect(st.sources.find((s) => s.name === "transcript")).toMatchObject({
      enabled: false,
      chunks: 0,
      files: 0,
    });
    expect(st.vectors).toBe(st.chunks);
  });
});
