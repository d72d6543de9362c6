import { createHash } from "node:crypto";
import { type RawDirective, scanAgentfile } from "./scan.js";
import { substitute } from "./substitute.js";
import { parseToolPattern, splitToolPatterns } from "./tool-pattern.js";
import type { Agentfile, AgentLimits, Diagnostic, ToolGrant } from "./types.js";
import { applyLimit, parseModelRef } from "./values.js";

export const DIRECTIVES = [
  "FROM",
  "PROMPT",
  "TASK",
  "TOOL",
  "LIMIT",
  "ISOLATION",
  "PIN",
  "RESTART",
  "BOOT",
] as const;
/** Directives of other Agentfile dialects: accepted with a warning and ignored. */
const IGNORED = ["HEALTHCHECK", "SKILL", "WORK"];
const SINGLE = new Set(["FROM", "PROMPT", "TASK", "ISOLATION", "PIN", "RESTART"]);

export interface ParseOptions {
  path?: string;
  /** Variables for `${…}`; defaults to an empty environment. */
  env?: Record<string, string | undefined>;
  /** Unset variables without a default are errors (validate) instead of warnings (lint). */
  strictVars?: boolean;
}

export interface ParseResult {
  /** Present when there are no errors. */
  agentfile?: Agentfile;
  diagnostics: Diagnostic[];
}

export function hashAgentfile(source: string | Uint8Array): string {
  return createHash("sha256").update(source).digest("hex");
}

/** Parses and checks an Agentfile. Every diagnostic carries a 1-based line and column. */
export function parseAgentfile(source: string, opts: ParseOptions = {}): ParseResult {
  const { directives, diagnostics } = scanAgentfile(source);
  const env = opts.env ?? {};
  const vars: Record<string, string> = {};
  const seen = new Map<string, number>();
  const tools: ToolGrant[] = [];
  const limits: AgentLimits = {};
  const boot: string[] = [];
  const af: Partial<Agentfile> = {};
  const err = (line: number, column: number, code: string, message: string) =>
    diagnostics.push({ severity: "error", line, column, code, message });
  const warn = (line: number, column: number, code: string, message: string) =>
    diagnostics.push({ severity: "warning", line, column, code, message });

  for (const d of directives) {
    const value = substitute(d.value, env, positionOf(d), {
      strict: opts.strictVars ?? false,
      used: vars,
      diagnostics,
    });
    if (IGNORED.includes(d.keyword)) {
      diagnostics.push({
        severity: "warning",
        line: d.line,
        column: d.column,
        code: "unsupported-directive",
        message: `${d.keyword} is not supported by this runner and is ignored`,
      });
      continue;
    }
    if (!(DIRECTIVES as readonly string[]).includes(d.keyword)) {
      const hint = suggest(d.keyword);
      err(
        d.line,
        d.column,
        "unknown-directive",
        `unknown directive "${d.keyword}"; expected ${hint ? `${hint} or ` : ""}one of ${DIRECTIVES.join(", ")}`,
      );
      continue;
    }
    if (SINGLE.has(d.keyword)) {
      const prev = seen.get(d.keyword);
      if (prev !== undefined) {
        err(
          d.line,
          d.column,
          "duplicate-directive",
          `${d.keyword} is already set at line ${prev}; expected at most one ${d.keyword}`,
        );
        continue;
      }
      seen.set(d.keyword, d.line);
    }
    const needsValue = d.keyword !== "PROMPT" && d.keyword !== "TASK";
    if (value.trim() === "" && (needsValue || !d.quoted)) {
      err(d.line, d.valueColumn, "missing-value", `expected a value after ${d.keyword}${example(d.keyword)}`);
      continue;
    }
    applyDirective(d, value, { af, tools, limits, boot, err, warn });
  }

  if (
    !seen.has("FROM") &&
    !diagnostics.some((x) => x.code === "unterminated-block" || x.code === "unterminated-heredoc")
  ) {
    err(
      1,
      1,
      "missing-from",
      "expected a FROM line naming the model, e.g. FROM anthropic/claude-sonnet-4-6 or FROM auto",
    );
  }
  if (af.from && !af.task && !af.prompt) {
    diagnostics.push({
      severity: "warning",
      line: seen.get("FROM") ?? 1,
      column: 1,
      code: "no-task",
      message: "no TASK or PROMPT: the run needs --task",
    });
  }
  if (tools.length === 0 && af.from) {
    diagnostics.push({
      severity: "warning",
      line: seen.get("FROM") ?? 1,
      column: 1,
      code: "no-tools",
      message: "no TOOL lines: the model can only answer in text",
    });
  }
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  if (diagnostics.some((x) => x.severity === "error")) return { diagnostics };
  return {
    diagnostics,
    agentfile: {
      path: opts.path,
      sha256: hashAgentfile(source),
      from: af.from!,
      prompt: af.prompt,
      task: af.task,
      tools,
      limits,
      isolation: af.isolation ?? "sandbox",
      pin: af.pin,
      restart: af.restart ?? "no",
      boot,
      vars,
    },
  };
}

interface Sink {
  af: Partial<Agentfile>;
  tools: ToolGrant[];
  limits: AgentLimits;
  boot: string[];
  err: (line: number, column: number, code: string, message: string) => void;
  warn: (line: number, column: number, code: string, message: string) => void;
}

function applyDirective(d: RawDirective, value: string, s: Sink): void {
  const col = d.valueColumn;
  const word = value.trim();
  switch (d.keyword) {
    case "FROM": {
      const ref = parseModelRef(word);
      if ("error" in ref) s.err(d.line, col, "bad-from", ref.error);
      else s.af.from = ref;
      return;
    }
    case "PROMPT":
      s.af.prompt = value;
      return;
    case "TASK":
      s.af.task = value;
      return;
    case "TOOL":
      for (const part of splitToolPatterns(value)) {
        const g = parseToolPattern(part.text);
        if ("error" in g) s.err(d.line, col + part.offset + g.at, "bad-tool", g.error);
        else {
          s.tools.push({ ...g, line: d.line });
          if (g.family === "mcp")
            s.warn(
              d.line,
              col + part.offset,
              "mcp-not-connected",
              `${part.text}: MCP tools are not offered to runs yet; this grant is recorded but has no effect`,
            );
        }
      }
      return;
    case "LIMIT": {
      const parts = word.split(/\s+/);
      if (parts.length !== 2) {
        s.err(
          d.line,
          col,
          "bad-limit",
          `expected LIMIT <budget_usd|turns|tokens|wall_clock> <value>, found "${word}"`,
        );
        return;
      }
      const e = applyLimit(s.limits, parts[0], parts[1]);
      if (e)
        s.err(
          d.line,
          parts[0] === "budget_usd" || e.startsWith("expected") ? col + value.indexOf(parts[1]) : col,
          "bad-limit",
          e,
        );
      return;
    }
    case "ISOLATION": {
      const v = word === "nono" ? "sandbox" : word;
      if (v !== "none" && v !== "sandbox")
        s.err(d.line, col, "bad-isolation", `expected ISOLATION none or sandbox, found "${word}"`);
      else {
        s.af.isolation = v;
        if (v === "none")
          s.warn(
            d.line,
            col,
            "isolation-none",
            "ISOLATION none is recorded at spawn; commands still run in the kernel's sandbox unless the kernel's own configuration opts out",
          );
      }
      return;
    }
    case "PIN":
      if (!/^[A-Za-z0-9._-]+$/.test(word) || word.startsWith("."))
        s.err(
          d.line,
          col,
          "bad-pin",
          `expected a pin name (letters, digits, . _ -) naming .ostk/pins/<name>/pin.caps, found "${word}"`,
        );
      else s.af.pin = word;
      return;
    case "RESTART":
      if (word !== "no" && word !== "on-failure")
        s.err(d.line, col, "bad-restart", `expected RESTART no or on-failure, found "${word}"`);
      else s.af.restart = word;
      return;
    case "BOOT":
      s.boot.push(word);
      return;
  }
}

function positionOf(d: RawDirective): (offset: number) => { line: number; column: number } {
  return (offset) => {
    if (!d.multiline) return { line: d.valueLine, column: d.valueColumn + offset + (d.quoted ? 1 : 0) };
    const before = d.value.slice(0, offset).split("\n");
    return {
      line: d.valueLine + before.length - 1 + (d.valueLine === d.line ? 1 : 0),
      column: before[before.length - 1].length + 1,
    };
  };
}

function example(keyword: string): string {
  const ex: Record<string, string> = {
    FROM: ", e.g. FROM anthropic/claude-sonnet-4-6",
    TOOL: ", e.g. TOOL file:read",
    LIMIT: ", e.g. LIMIT turns 40",
    ISOLATION: ": none or sandbox",
    PIN: ", e.g. PIN default",
    RESTART: ": no or on-failure",
    BOOT: ", e.g. BOOT npm ci",
  };
  return ex[keyword] ?? "";
}

/** The closest known directive within edit distance 2, for "did you mean". */
function suggest(word: string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const d of DIRECTIVES) {
    const dist = editDistance(word, d);
    if (dist < bestD) {
      best = d;
      bestD = dist;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = Math.min(
        dp[i - 1][j] + 1,
        dp[i][j - 1] + 1,
        dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return dp[a.length][b.length];
}
