/** The parsed, variable-substituted form of an Agentfile. */

export type ProviderKind = "anthropic" | "openai" | "openai-responses" | "openai-compatible";

export interface ModelRef {
  /** `auto` picks a provider from the keys present at run time. */
  provider: ProviderKind | "auto";
  model: string;
  /** What was written after FROM, after substitution. */
  raw: string;
}

export interface ToolGrant {
  /** The pattern as written, e.g. `shell:write(src/)`. */
  pattern: string;
  /** Family: `file`, `shell`, `mcp`. */
  family: "file" | "shell" | "mcp";
  /** Verb within the family (`read`, `edit`, `write`, `delete`, `*`) or for mcp the `<server>__<tool>` glob. */
  verb: string;
  /** Optional path scope from `(…)`: workspace-relative prefixes the grant is limited to. */
  scope?: string[];
  line: number;
}

export interface AgentLimits {
  budget_usd?: number;
  turns?: number;
  tokens?: number;
  /** Milliseconds. */
  wall_clock_ms?: number;
}

export interface Agentfile {
  /** File the Agentfile was read from, when it came from a file. */
  path?: string;
  /** sha256 hex of the file's raw bytes — what `agent.spawn` journals. */
  sha256: string;
  from: ModelRef;
  prompt?: string;
  task?: string;
  tools: ToolGrant[];
  limits: AgentLimits;
  isolation: "none" | "sandbox";
  pin?: string;
  restart: "no" | "on-failure";
  boot: string[];
  /** Variables referenced by `${…}`, with the value used. */
  vars: Record<string, string>;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  line: number;
  column: number;
  message: string;
  /** Short code, e.g. `unknown-directive`. */
  code: string;
}
