import type { Json } from "../wire/anthropic";

/** Deterministic filler text (seeded), so bodies are byte-identical between runs. */
function filler(seed: number, chars: number): string {
  const words = [
    "the",
    "file",
    "function",
    "returns",
    "value",
    "when",
    "config",
    "path",
    "error",
    "request",
    "token",
    "cache",
    "session",
    "module",
    "export",
    "import",
    "const",
    "async",
    "await",
    "string",
    "number",
    "test",
  ];
  let x = seed * 2654435761 + 1;
  let out = "";
  while (out.length < chars) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${words[x % words.length]} `;
  }
  return out.slice(0, chars);
}

const TOOL_NAMES = [
  "Task",
  "Bash",
  "Glob",
  "Grep",
  "LS",
  "ExitPlanMode",
  "Read",
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
  "WebFetch",
  "TodoWrite",
  "WebSearch",
  "BashOutput",
  "KillShell",
  "SlashCommand",
  "mcp__ide__getDiagnostics",
  "mcp__ide__executeCode",
  "ListMcpResources",
  "ReadMcpResource",
  "AskUserQuestion",
  "Skill",
  "EnterPlanMode",
  "Monitor",
];

/** Twenty-five tool definitions of Claude Code's size (≈ 2.4 KB each). */
export function claudeCodeTools(): Json[] {
  return TOOL_NAMES.map((name, i) => ({
    name,
    description: filler(i + 1, 2200),
    input_schema: {
      type: "object",
      properties: { file_path: { type: "string", description: "Absolute path" }, arg: { type: "string" } },
      required: ["file_path"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    },
  }));
}

/**
 * Request bodies of a Claude-Code-shaped agent session, one per turn: 25 tools, a system prompt in
 * three blocks (the first carries the volatile `cch=<hex>;` billing token), the client's own three
 * breakpoints (two system blocks + the newest message block), a `<system-reminder>` in the newest
 * user message, tool_use/tool_result turns with some parallel calls, and a per-session
 * `metadata.user_id`. Turn `i` extends turn `i-1` exactly as the client would resend it.
 */
export function claudeCodeSession(turns = 40, opts: { model?: string; seed?: number } = {}): Json[] {
  const seed = opts.seed ?? 7;
  const tools = claudeCodeTools();
  const history: Json[] = [];
  const bodies: Json[] = [];
  history.push({
    role: "user",
    content: [
      {
        type: "text",
        text: `<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\n${filler(seed + 100, 3000)}\n</system-reminder>`,
      },
      { type: "text", text: "Find why the cache tests fail and fix the bug in src/store/sqlite-store.ts" },
    ],
  });
  for (let t = 0; t < turns; t++) {
    const cch = ((seed * 7919 + t * 104729) >>> 0).toString(16).slice(0, 5).padStart(5, "0");
    const messages = structuredClone(history);
    const last = messages[messages.length - 1];
    last.content[last.content.length - 1].cache_control = { type: "ephemeral" };
    bodies.push({
      model: opts.model ?? "claude-sonnet-4-6",
      max_tokens: 32000,
      stream: true,
      metadata: { user_id: `user_abc_account__session_${seed}` },
      system: [
        {
          type: "text",
          text: `x-anthropic-billing-header: cc_version=2.1.3.a1b; cc_entrypoint=cli; cch=${cch};`,
        },
        {
          type: "text",
          text: "You are Claude Code, Anthropic's official CLI for Claude.",
          cache_control: { type: "ephemeral" },
        },
        { type: "text", text: filler(seed + 200, 14000), cache_control: { type: "ephemeral" } },
      ],
      tools,
      messages,
    });
    // The model's answer to this turn and the tool results the client sends next.
    const parallel = t % 9 === 4 ? 12 : t % 3 === 0 ? 2 : 1;
    const uses = Array.from({ length: parallel }, (_, k) => ({
      type: "tool_use",
      id: `toolu_${seed}_${t}_${k}`,
      name: TOOL_NAMES[(t + k) % TOOL_NAMES.length],
      input: { file_path: `/work/project/src/module-${(t * 3 + k) % 17}.ts` },
    }));
    history.push({
      role: "assistant",
      content: [{ type: "text", text: filler(seed + t * 31, 300) }, ...uses],
    });
    // Each user turn carries its own reminder; the client resends past ones unchanged.
    const results: Json[] = uses.map((u, k) => ({
      type: "tool_result",
      tool_use_id: u.id,
      content: filler(seed + t * 97 + k, 1500 + ((t * 131 + k * 17) % 4000)),
    }));
    results.push({
      type: "text",
      text: `<system-reminder>\nTodo list: ${t + 1} of ${turns} steps done. Files changed since last turn: ${t % 5}.\n</system-reminder>`,
    });
    history.push({ role: "user", content: results });
  }
  return bodies;
}
