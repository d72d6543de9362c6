import type { Agentfile } from "../agentfile/types.js";

const globOf = (scope: string[] | undefined): string[] =>
  scope ? scope.map((s) => `${s.replace(/^\.\//, "").replace(/\/+$/, "")}/**`) : ["**"];

/**
 * The capability scope a run asks for at session start (`session/negotiate`),
 * derived from its PIN and TOOL lines. The kernel grants at most what the
 * workspace's policy allows and enforces the grant on every call of the
 * session, so the Agentfile can only narrow the pin, never widen it.
 */
export function scopeFor(af: Agentfile): { pins?: string[]; capabilities: string[] } {
  const caps = new Set<string>();
  for (const g of af.tools) {
    if (g.family === "file") {
      if (g.verb === "read" || g.verb === "*") for (const x of globOf(g.scope)) caps.add(`read:${x}`);
      if (g.verb !== "read") {
        for (const x of globOf(g.scope)) caps.add(`write:${x}`);
        for (const x of globOf(g.scope)) caps.add(`read:${x}`);
      }
    }
    if (g.family === "shell") {
      caps.add("execute:shell");
      if (g.verb === "exec") caps.add("write:**");
      if (g.verb === "write") for (const x of globOf(g.scope)) caps.add(`write:${x}`);
    }
  }
  return { ...(af.pin ? { pins: [af.pin] } : {}), capabilities: [...caps] };
}
