import type { ToolGrant } from "./types.js";

/** File verbs a `file:` grant can name. */
export const FILE_VERBS = ["read", "write", "edit", "delete", "*"] as const;
/** Shell verbs: `exec` (workspace writable), `read` (nothing writable), `write(paths)` (only those writable). */
export const SHELL_VERBS = ["exec", "read", "write", "*"] as const;

/** Short names accepted for compatibility with other Agentfile dialects. */
const ALIASES: Record<string, string> = {
  bash: "shell:exec",
  shell: "shell:exec",
  exec: "shell:exec",
  file: "file:*",
  read: "file:read",
  ls: "file:read",
  glob: "file:read",
  grep: "file:read",
  write: "file:write",
  edit: "file:edit",
  delete: "file:delete",
};

export type ParsedGrant = Omit<ToolGrant, "line"> | { error: string; at: number };

/** Parses one TOOL pattern: `file:read`, `bash`, `shell:write(src/,lib/)`, `mcp:github__create_*`. */
export function parseToolPattern(pattern: string): ParsedGrant {
  const open = pattern.indexOf("(");
  let head = pattern;
  let scope: string[] | undefined;
  if (open >= 0) {
    if (!pattern.endsWith(")"))
      return { error: 'expected ")" closing the scope, e.g. shell:write(src/)', at: pattern.length };
    head = pattern.slice(0, open);
    const inner = pattern.slice(open + 1, -1);
    scope = inner.split(",").map((s) => s.trim());
    let offset = open + 1;
    for (const [n, p] of scope.entries()) {
      if (n > 0) offset = pattern.indexOf(",", offset) + 1;
      const at = offset + (pattern.slice(offset).length - pattern.slice(offset).trimStart().length);
      if (p === "") return { error: "expected a workspace-relative path inside (…)", at };
      if (p.startsWith("/") || p.split("/").includes("..") || p.startsWith("~"))
        return { error: `scope path "${p}" must be workspace-relative without "..", e.g. src/`, at };
    }
  }
  const canonical = ALIASES[head] ?? head;
  const colon = canonical.indexOf(":");
  if (colon < 0) return { error: unknownTool(head), at: 0 };
  const family = canonical.slice(0, colon);
  const verb = canonical.slice(colon + 1);
  if (family === "file") {
    if (!(FILE_VERBS as readonly string[]).includes(verb))
      return {
        error: `unknown file verb "${verb}"; expected one of file:read, file:write, file:edit, file:delete, file:*`,
        at: colon + 1,
      };
    return { pattern, family, verb, scope };
  }
  if (family === "shell") {
    if (!(SHELL_VERBS as readonly string[]).includes(verb))
      return {
        error: `unknown shell verb "${verb}"; expected bash, shell:read or shell:write(<paths>)`,
        at: colon + 1,
      };
    if (verb === "write" && !scope)
      return { error: "shell:write needs the writable paths, e.g. shell:write(src/)", at: pattern.length };
    return { pattern, family, verb: verb === "*" ? "exec" : verb, scope };
  }
  if (family === "mcp") {
    if (!/^[A-Za-z0-9_.-]+__[A-Za-z0-9_.*-]+$/.test(verb))
      return {
        error: 'expected mcp:<server>__<tool> (the tool part may use "*"), e.g. mcp:github__create_issue',
        at: colon + 1,
      };
    if (scope) return { error: "mcp tools take no path scope", at: open };
    return { pattern, family, verb, scope };
  }
  return { error: unknownTool(head), at: 0 };
}

function unknownTool(name: string): string {
  return `unknown tool "${name}"; expected file:read, file:write, file:edit, file:delete, file:*, bash, shell:read, shell:write(<paths>) or mcp:<server>__<tool>`;
}

/** Splits a TOOL line's value into patterns (whitespace or commas between them, not inside parentheses). */
export function splitToolPatterns(value: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    const c = value[i];
    const sep = c === undefined || ((c === " " || c === "\t" || c === ",") && depth === 0);
    if (c === "(") depth++;
    if (c === ")") depth = Math.max(0, depth - 1);
    if (sep) {
      if (start >= 0) out.push({ text: value.slice(start, i), offset: start });
      start = -1;
    } else if (start < 0) start = i;
  }
  return out;
}

/** Does path `p` (workspace-relative, POSIX) fall under one of the scope prefixes? */
export function inScope(p: string, scope: string[] | undefined): boolean {
  if (!scope) return true;
  const norm = p.replace(/^\.\//, "");
  return scope.some((s) => {
    const prefix = s.replace(/^\.\//, "").replace(/\/+$/, "");
    return prefix === "" || prefix === "." || norm === prefix || norm.startsWith(`${prefix}/`);
  });
}

/** Glob match for mcp tool names (`*` only). */
export function toolGlobMatch(glob: string, name: string): boolean {
  const re = new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(name);
}
