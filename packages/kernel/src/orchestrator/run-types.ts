import type { Logger, PriceTable } from "@ostk/lib";
import type { Agentfile } from "../agentfile/types.js";
import type { ApprovalWaiter } from "./approval-wait.js";
import type { KernelPort } from "./kernel-port.js";
import type { ModelProvider, ToolResult, Usage } from "./model-types.js";
import type { AgentRunStore, RunStatus } from "./run-store.js";

export interface AgentRunOptions {
  agentfile: Agentfile;
  /** Agent name (identity id is `agent:<name>`). */
  name: string;
  provider: ModelProvider;
  kernel: KernelPort;
  store: AgentRunStore;
  /**
   * The workspace root. Needed when the Agentfile names a PIN: the runner loads
   * `.ostk/pins/<name>/pin.caps` and applies its denies to every call (fail closed when it cannot).
   */
  workspace?: string;
  /** Overrides the Agentfile's TASK. */
  task?: string;
  /** Continue this session instead of starting one. */
  resume?: string;
  /** Tokens the model may produce per turn (default 4096). */
  maxTokensPerTurn?: number;
  /** Aborting stops the run (ostk kill, SIGTERM). */
  signal?: AbortSignal;
  approvals?: ApprovalWaiter;
  prices?: PriceTable;
  now?: () => number;
  logger?: Logger;
  /** How often the run checks sessions.db for a kill request (ms, default 500). */
  killPollMs?: number;
  onEvent?: (e: RunEvent) => void;
}

export type RunEvent =
  | { type: "start"; session: string; trace_id: string; resumed: boolean }
  | { type: "model"; turn: number; text: string; tool_calls: number; usage: Usage; ms: number }
  | { type: "tool"; turn: number; name: string; is_error: boolean; error?: string; ms: number }
  | { type: "approval"; approval_id: string; message: string; outcome?: string }
  | { type: "end"; summary: RunSummary };

export interface RunSummary {
  session: string;
  name: string;
  status: RunStatus;
  /** Why it ended: `done`, `limit:<name>`, `killed`, `model-error`, `approval-pending`… */
  reason: string;
  detail?: string;
  turns: number;
  tool_calls: number;
  tool_errors: number;
  usage: Usage;
  cost_usd: number;
  elapsed_ms: number;
  trace_id: string;
  agentfile_sha256: string;
  model: string;
  final_text: string;
  /** Time spent in the orchestrator itself (not the model, not the tools), per turn, ms. */
  overhead_ms_per_turn: number;
}

export interface Snapshot {
  task: string;
  elapsed_ms: number;
  tool_errors: number;
  /** Results already computed for the last assistant message's calls (a batch cut by an approval wait or a crash). */
  partial: ToolResult[];
  pending_approval?: { approval_id: string; call_id: string };
  final_text?: string;
  overhead_ms: number;
  /** The kernel session the run's calls are made in (from `session/negotiate`). */
  kernel_session?: string;
  /** What the kernel granted and refused at negotiation. */
  grant?: { granted?: unknown; denied?: unknown; reason?: string };
}
