import { inScope, toolGlobMatch } from "../agentfile/tool-pattern.js";
import type { ToolGrant } from "../agentfile/types.js";
import { type CatalogTool, TOOL_CATALOG } from "./tool-catalog.js";

/** The catalogue tools an Agentfile's TOOL lines grant (what the model is offered). */
export function grantedTools(grants: ToolGrant[]): CatalogTool[] {
  return TOOL_CATALOG.filter((t) => grants.some((g) => grantCovers(g, t)));
}

function grantCovers(g: ToolGrant, t: CatalogTool): boolean {
  if (g.family !== t.family) return false;
  if (t.family === "shell") return true;
  return g.verb === "*" || g.verb === t.verb;
}

export type GateResult = { ok: true; grant: ToolGrant; writable?: string[] } | { ok: false; reason: string };

/**
 * The Agentfile step of the decision chain: is this call inside the TOOL
 * lines, and are its paths inside the grant's scope? For shell grants the
 * scope becomes the sandbox's writable paths (`shell:read` → none).
 */
export function checkGrant(t: CatalogTool, input: Record<string, unknown>, grants: ToolGrant[]): GateResult {
  const candidates = grants.filter((g) => grantCovers(g, t));
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `tool "${t.spec.name}" is not allowed by this Agentfile's TOOL lines (needs ${t.family === "shell" ? "bash" : `file:${t.verb}`})`,
    };
  if (t.family === "shell") {
    const full = candidates.find((g) => g.verb === "exec");
    if (full) return { ok: true, grant: full };
    const w = candidates.find((g) => g.verb === "write");
    if (w) return { ok: true, grant: w, writable: w.scope };
    return { ok: true, grant: candidates[0], writable: [] };
  }
  const paths = t.pathArgs.map((a) => input[a]).filter((v): v is string => typeof v === "string");
  const fit = candidates.find((g) => paths.every((p) => inScope(p, g.scope)));
  if (!fit) {
    const scopes = candidates.flatMap((g) => g.scope ?? []).join(", ");
    return {
      ok: false,
      reason: `path ${paths.join(", ")} is outside what this Agentfile grants to "${t.spec.name}" (${scopes})`,
    };
  }
  return { ok: true, grant: fit };
}

/** Is an MCP tool name (`<server>__<tool>`) granted by an `mcp:` line? */
export function mcpGranted(name: string, grants: ToolGrant[]): boolean {
  return grants.some((g) => g.family === "mcp" && toolGlobMatch(g.verb, name));
}
