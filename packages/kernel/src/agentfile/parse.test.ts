// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is Agentfile syntax, not a JS template
import { describe, expect, it } from "vitest";
import { hashAgentfile, parseAgentfile } from "./parse.js";
import { inScope } from "./tool-pattern.js";

const WORKER = `# a worker
FROM anthropic/claude-sonnet-4-6
PROMPT "You are careful.\\nBe brief."
TASK """
  Fix the failing test in src/add.ts.
    Then run it.
"""
TOOL file:read file:edit
TOOL bash
TOOL shell:write(src/, test/)
TOOL mcp:github__create_*
LIMIT budget_usd 2.50
LIMIT turns 40
LIMIT tokens 200k
LIMIT wall_clock 1h30m
ISOLATION sandbox
PIN default
RESTART on-failure
BOOT npm ci
`;

describe("parseAgentfile", () => {
  it("parses every directive of a complete file", () => {
    const { agentfile, diagnostics } = parseAgentfile(WORKER);
    // Only a warning: mcp grants are parsed but not connected yet.
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", code: "mcp-not-connected", line: 11, column: 6 }),
    ]);
    expect(agentfile).toMatchObject({
      from: { provider: "anthropic", model: "claude-sonnet-4-6" },
      prompt: "You are careful.\nBe brief.",
      task: "Fix the failing test in src/add.ts.\n  Then run it.",
      limits: { budget_usd: 2.5, turns: 40, tokens: 200_000, wall_clock_ms: 5_400_000 },
      isolation: "sandbox",
      pin: "default",
      restart: "on-failure",
      boot: ["npm ci"],
      sha256: hashAgentfile(WORKER),
    });
    expect(agentfile!.tools.map((t) => [t.family, t.verb, t.scope])).toEqual([
      ["file", "read", undefined],
      ["file", "edit", undefined],
      ["shell", "exec", undefined],
      ["shell", "write", ["src/", "test/"]],
      ["mcp", "github__create_*", undefined],
    ]);
  });

  it("substitutes ${VAR} and ${VAR:-default}, and records what it used", () => {
    const src = "FROM ${MODEL:-openai/gpt-4.1}\nTASK Fix ${ISSUE}\nLIMIT turns ${TURNS:-7}\n";
    const { agentfile } = parseAgentfile(src, { env: { ISSUE: "#12", TURNS: "" } });
    expect(agentfile!.from).toMatchObject({ provider: "openai", model: "gpt-4.1" });
    expect(agentfile!.task).toBe("Fix #12");
    expect(agentfile!.limits.turns).toBe(7);
    expect(agentfile!.vars).toEqual({ MODEL: "openai/gpt-4.1", ISSUE: "#12", TURNS: "7" });
    expect(parseAgentfile("FROM auto\nTASK cost $${X}\n").agentfile!.task).toBe("cost ${X}");
  });

  it("reports an unset variable as a warning in lint and an error when strict, at its column", () => {
    const src = "FROM auto\nTASK fix ${ISSUE}\n";
    const lint = parseAgentfile(src);
    expect(lint.agentfile).toBeDefined();
    expect(lint.diagnostics.filter((d) => d.code === "unset-variable")).toEqual([
      expect.objectContaining({ severity: "warning", line: 2, column: 10, code: "unset-variable" }),
    ]);
    const strict = parseAgentfile(src, { strictVars: true });
    expect(strict.agentfile).toBeUndefined();
    expect(strict.diagnostics.find((d) => d.severity === "error")).toMatchObject({
      severity: "error",
      line: 2,
      column: 10,
    });
  });

  it("accepts a heredoc TASK and the reference dialect's short names", () => {
    const { agentfile, diagnostics } = parseAgentfile(
      "FROM auto\nTASK <<EOF\n  line one\n  line two\nEOF\nTOOL shell\nTOOL edit\nISOLATION nono\nHEALTHCHECK ostk boot\n",
    );
    expect(agentfile!.task).toBe("line one\nline two");
    expect(agentfile!.tools.map((t) => `${t.family}:${t.verb}`)).toEqual(["shell:exec", "file:edit"]);
    expect(agentfile!.isolation).toBe("sandbox");
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", code: "unsupported-directive", line: 9 }),
    ]);
  });

  it.each([
    ["FROM auto\nTOOLS file:read\n", 2, 1, "unknown-directive", /did you mean|expected TOOL or one of/],
    ["FROM auto\nTOOL file:raed\n", 2, 11, "bad-tool", /expected one of file:read/],
    ["FROM auto\nTOOL shell:write\n", 2, 17, "bad-tool", /needs the writable paths/],
    ["FROM auto\nTOOL shell:write(src/, ../x)\n", 2, 24, "bad-tool", /workspace-relative/],
    ["FROM auto\nLIMIT turns many\n", 2, 13, "bad-limit", /positive whole number/],
    [
      "FROM auto\nLIMIT money 5\n",
      2,
      7,
      "bad-limit",
      /expected one of budget_usd, turns, tokens, wall_clock/,
    ],
    ["FROM auto\nLIMIT wall_clock 5 parsecs\n", 2, 7, "bad-limit", /expected LIMIT/],
    ["FROM auto\nISOLATION docker\n", 2, 11, "bad-isolation", /none or sandbox/],
    ["FROM auto\nRESTART always\n", 2, 9, "bad-restart", /no or on-failure/],
    ["FROM auto\nFROM auto\n", 2, 1, "duplicate-directive", /already set at line 1/],
    ["FROM mistral/large\n", 1, 6, "bad-from", /unknown provider "mistral"; expected one of anthropic/],
    ["FROM llama3\n", 1, 6, "bad-from", /cannot tell the provider/],
    ["TASK hi\n", 1, 1, "missing-from", /expected a FROM line/],
    ['FROM auto\nPROMPT "unterminated\n', 2, 8, "unterminated-string", /closing "/],
    ['FROM auto\nTASK """\nnever closed\n', 2, 6, "unterminated-block", /closing """/],
    ["FROM auto\nTOOL\n", 2, 5, "missing-value", /expected a value after TOOL/],
    ["FROM auto\nPIN ../etc\n", 2, 5, "bad-pin", /pin name/],
    ["FROM auto\n  = oops\n", 2, 3, "expected-directive", /expected a directive/],
  ])("points at the error in %j", (src, line, column, code, message) => {
    const { agentfile, diagnostics } = parseAgentfile(src);
    expect(agentfile).toBeUndefined();
    const e = diagnostics.find((d) => d.severity === "error")!;
    expect(e).toMatchObject({ line, column, code });
    expect(e.message).toMatch(message);
  });

  it("warns that ISOLATION none is only recorded", () => {
    const { agentfile, diagnostics } = parseAgentfile("FROM auto\nTASK x\nTOOL bash\nISOLATION none\n");
    expect(agentfile!.isolation).toBe("none");
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", code: "isolation-none", line: 4 }),
    ]);
  });

  it("hashes the raw bytes, so any edit changes the hash", () => {
    expect(hashAgentfile("FROM auto\n")).not.toBe(hashAgentfile("FROM auto \n"));
    expect(hashAgentfile("FROM auto\n")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("inScope", () => {
  it("matches path prefixes at segment boundaries", () => {
    expect(inScope("src/a.ts", ["src/"])).toBe(true);
    expect(inScope("src", ["src/"])).toBe(true);
    expect(inScope("srcx/a.ts", ["src/"])).toBe(false);
    expect(inScope("./test/a.ts", ["src", "test/"])).toBe(true);
    expect(inScope("anything", undefined)).toBe(true);
  });
});
