import { posix } from "node:path";
import { type CapabilityGrant, grantRefusal } from "./capability-grant.js";
import { firstMatch, wildcardMatch } from "./glob-match.js";
import { PIN_TOKENS, type Pin, type PinToken, WRITE_VERBS } from "./pin-caps.js";
import { detectRisk } from "./risk.js";
import type { ToolCall } from "./tool-call.js";

export interface Decision {
  decision: "allow" | "deny" | "ask";
  /** Human-readable, journaled as is. */
  reason: string;
  /** Which rule decided (`pin.deny:write-kernel`, `risk:force-push`, `session-allow:exec:npm test`…). */
  rule: string;
}

export interface DecisionContext {
  pin: Pin;
  /** The session's negotiated grant (enforced on every call). */
  grant?: CapabilityGrant;
  /** Extra risky patterns (regular expressions) from configuration. */
  riskyPatterns?: readonly string[];
  /** Calls that need a human even when the pin allows them: verbs and/or `verb:wildcard` entries. */
  requireApproval?: { verbs?: readonly string[]; patterns?: readonly string[] };
  /** `verb:wildcard` entries a human allowed for this session ("don't ask again"). */
  sessionAllow?: readonly string[];
  /** A human approved exactly this call (its hash): risky/approval steps let it through once. */
  approved?: boolean;
}

/**
 * The one decision chain every tool call passes, first match wins:
 * 1. hard deny from the pin (deny-verb, deny-path, deny tokens) and the session's grant;
 * 2. risky or destructive action → ask (unless this exact call was approved);
 * 3. approval required by configuration → ask (unless approved);
 * 4. session allow-list → allow;
 * 5. allowed by the pin → allow; otherwise deny.
 */
export function decide(call: ToolCall, ctx: DecisionContext): Decision {
  const { pin } = ctx;
  const paths: string[] = [];
  for (const p of [call.path, call.to]) {
    if (p === undefined) continue;
    const n = normalizePath(p);
    if (n === null) return deny(call, `path ${p} is outside the workspace`, "path.outside");
    paths.push(n);
  }
  const program = call.verb === "exec" ? programOf(call.command ?? "") : undefined;

  // 1. hard deny
  if (pin.denyVerbs.includes(call.verb))
    return deny(call, `active pin denies ${call.verb}`, `pin.deny-verb:${call.verb}`);
  for (const p of paths) {
    const hit = firstMatch(pin.denyPaths, p);
    if (hit)
      return deny(call, `active pin denies ${p} (matched: deny-path ${hit})`, `pin.deny-path:${hit}`, p);
  }
  if (WRITE_VERBS.has(call.verb)) {
    for (const p of paths) {
      const token = pin.deny.find((t) => firstMatch(PIN_TOKENS[t], p));
      if (token) return deny(call, `active pin denies write (matched: ${token})`, `pin.deny:${token}`, p);
    }
  }
  if (ctx.grant) {
    const refusal = grantRefusal(ctx.grant, call.verb, paths, program);
    if (refusal) return deny(call, refusal, "grant.scope");
  }

  // 2. risky / destructive
  const normalized: ToolCall = {
    ...call,
    path: paths[0] ?? call.path,
    to: call.to === undefined ? undefined : paths[1],
  };
  const risk = detectRisk(normalized, ctx.riskyPatterns);
  if (risk && !ctx.approved)
    return { decision: "ask", reason: `${risk.reason}: needs approval`, rule: risk.rule };

  // 3. approval required
  const required = approvalRule(normalized, ctx);
  if (required && !ctx.approved)
    return { decision: "ask", reason: "approval required by policy", rule: required };

  // 4. session allow-list
  for (const entry of ctx.sessionAllow ?? []) {
    if (entryMatches(entry, normalized)) {
      return { decision: "allow", reason: "allowed for this session", rule: `session-allow:${entry}` };
    }
  }

  // 5. the pin
  const grantRule = pinGrants(pin, normalized, paths, program);
  if (grantRule) {
    const why = ctx.approved && (risk || required) ? "approved by a human" : "allowed by pin";
    return { decision: "allow", reason: why, rule: grantRule };
  }
  return deny(
    call,
    `active pin does not grant ${call.verb}${paths[0] ? ` of ${paths[0]}` : ""}`,
    "pin.no-grant",
  );
}

function deny(call: ToolCall, why: string, rule: string, path?: string): Decision {
  const target = path ?? call.path ?? (call.command !== undefined ? `\`${call.command}\`` : "");
  return {
    decision: "deny",
    reason: `policy denied ${call.verb}${target ? ` to ${target}` : ""}: ${why}`,
    rule,
  };
}

/** Workspace-relative POSIX path, or null when it leaves the workspace. */
export function normalizePath(p: string): string | null {
  if (p.includes("\0")) return null;
  const n = posix.normalize(p.replace(/\\/g, "/"));
  if (n.startsWith("/") || n === ".." || n.startsWith("../")) return null;
  return n === "." ? "" : n.replace(/^\.\//, "").replace(/\/$/, "");
}

/** The program a command line runs first (basename, after env assignments). */
export function programOf(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  const first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  return first ? posix.basename(first) : undefined;
}

function entryMatches(entry: string, call: ToolCall): boolean {
  const colon = entry.indexOf(":");
  const verb = colon < 0 ? entry : entry.slice(0, colon);
  const pattern = colon < 0 ? "*" : entry.slice(colon + 1);
  if (verb !== "*" && verb !== call.verb && !(verb === "bash" && call.verb === "exec")) return false;
  const subject = call.verb === "exec" ? (call.command ?? "") : (call.path ?? "");
  return call.verb === "exec"
    ? wildcardMatch(pattern, subject.trim())
    : firstMatch([pattern], subject) !== undefined;
}

function approvalRule(call: ToolCall, ctx: DecisionContext): string | undefined {
  const r = ctx.requireApproval;
  if (!r) return undefined;
  if (r.verbs?.includes(call.verb) || (call.verb === "exec" && r.verbs?.includes("bash"))) {
    return `approval-required:${call.verb}`;
  }
  const hit = r.patterns?.find((e) => entryMatches(e, call));
  return hit ? `approval-required:${hit}` : undefined;
}

function pinGrants(pin: Pin, call: ToolCall, paths: string[], program?: string): string | undefined {
  if (call.verb === "exec") {
    if (pin.execute.includes("shell")) return "pin.execute:shell";
    if (program && pin.execute.includes(program)) return `pin.execute:${program}`;
    return undefined;
  }
  const write = WRITE_VERBS.has(call.verb);
  let rule: string | undefined;
  for (const p of paths.length > 0 ? paths : [""]) {
    const globs = write ? pin.write : pin.read;
    const hit = firstMatch(globs, p) ?? (write ? allowToken(pin.allow, p) : undefined);
    if (!hit) return undefined;
    rule ??= `pin.${write ? "write" : "read"}:${hit}`;
  }
  return rule;
}

function allowToken(tokens: readonly PinToken[], p: string): string | undefined {
  const t = tokens.find((tok) => firstMatch(PIN_TOKENS[tok], p));
  return t ? `allow:${t}` : undefined;
}
