import { firstMatch } from "./glob-match.js";
import { WRITE_VERBS } from "./pin-caps.js";
import type { ToolCall } from "./tool-call.js";

export interface RiskFinding {
  /** `risk:recursive-delete`, `risk:force-push`… */
  rule: string;
  reason: string;
}

/** Paths whose modification always needs a human, even when the pin allows writing them. */
export const PROTECTED_PATH_GLOBS = [
  ".ostk/**",
  ".git/hooks/**",
  ".git/config",
  ".envrc",
  "**/.bashrc",
  "**/.bash_profile",
  "**/.profile",
  "**/.zshrc",
  "**/.zshenv",
  "**/.zprofile",
];

const COMMAND_RISKS: { rule: string; reason: string; re: RegExp }[] = [
  {
    rule: "risk:recursive-delete",
    reason: "recursive delete",
    re: /(^|[\s;&|(`"'{])(sudo\s+)?rm\s+(\S+\s+)*(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)(\s|$)|\bfind\b[^;|&]*\s-(delete|exec\s+rm)\b|\bgit\s+clean\s+(\S+\s+)*-[a-zA-Z]*f|\brmdir\s+--ignore|\bshred\b/,
  },
  {
    rule: "risk:force-push",
    reason: "force push or remote ref deletion",
    re: /\bgit\s+push\b[^;&|]*(\s-[a-zA-Z]*f\b|\s--force(-with-lease|-if-includes)?\b|\s--delete\b|\s--mirror\b|\s\+[^\s]+|\s:[^\s]+)/,
  },
  {
    rule: "risk:history-rewrite",
    reason: "discards commits or uncommitted work",
    re: /\bgit\s+(reset\s+(\S+\s+)*--hard|branch\s+(\S+\s+)*-D|checkout\s+(\S+\s+)*--\s+\.|restore\s+(\S+\s+)*\.|stash\s+(drop|clear)|filter-branch|reflog\s+expire)\b/,
  },
  {
    rule: "risk:pipe-to-shell",
    reason: "downloads and runs code (curl | sh)",
    re: /\b(curl|wget|fetch)\b[^;&]*\|\s*(sudo\s+)?(env\s+\S+\s+)?(ba|z|da|k|fi)?sh\b|\b(curl|wget)\b[^;&]*\|\s*(sudo\s+)?(python\d?|perl|ruby|node)\b|\b(ba|z)?sh\s+(-c\s+)?["']?\$\(\s*(curl|wget)|<\(\s*(curl|wget)\b/,
  },
  {
    rule: "risk:disk-tool",
    reason: "disk or filesystem tool",
    re: /(^|[\s;&|(`"'{])(sudo\s+)?(mkfs(\.\w+)?|fdisk|sfdisk|cfdisk|gdisk|parted|wipefs|blkdiscard|mkswap|swapon|losetup|cryptsetup|hdparm|dd)(\s|$)|>\s*\/dev\/(sd|nvme|vd|hd|xvd|mmcblk|disk)/,
  },
  {
    rule: "risk:privilege",
    reason: "privilege escalation",
    re: /(^|[\s;&|(`"'{])(sudo|su|doas|pkexec)(\s|$)/,
  },
  {
    rule: "risk:permissions",
    reason: "recursive permission or ownership change",
    re: /\b(chmod|chown|chgrp)\s+(\S+\s+)*-[a-zA-Z]*R/,
  },
  {
    rule: "risk:protected-path",
    reason: "writes to a protected path (.ostk, git hooks/config, shell rc files)",
    re: /(>|>>|\btee\b|\bcp\b|\bmv\b|\bln\b|\binstall\b|\bsed\s+-i)[^;&|]*(\.ostk\/|\.git\/hooks|\.git\/config|\.bashrc|\.zshrc|\.profile|\.bash_profile|\.envrc)/,
  },
];

/**
 * Destructive or risky actions: these always ask a human (an approval of the exact call lets them run once).
 * `patterns` are extra regular expressions from configuration, matched against the command or the path.
 */
export function detectRisk(call: ToolCall, patterns: readonly string[] = []): RiskFinding | null {
  if (call.verb === "exec" && call.command !== undefined) {
    const cmd = call.command.replace(/\s+/g, " ");
    for (const r of COMMAND_RISKS) if (r.re.test(cmd)) return { rule: r.rule, reason: r.reason };
  }
  if (WRITE_VERBS.has(call.verb)) {
    for (const p of [call.path, call.to]) {
      if (p === undefined) continue;
      const hit = firstMatch(PROTECTED_PATH_GLOBS, p);
      if (hit) return { rule: `risk:protected-path:${hit}`, reason: `writes to protected path ${p}` };
    }
    if (call.verb === "delete" && call.recursive)
      return { rule: "risk:recursive-delete", reason: "recursive delete" };
  }
  for (const src of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(src);
    } catch {
      continue; // config validation reports bad patterns; a bad one never matches silently-allowing anything
    }
    const subject = call.command ?? call.path ?? "";
    if (re.test(subject)) return { rule: `risk:pattern:${src}`, reason: `matches configured pattern ${src}` };
  }
  return null;
}
