import { agentMethods } from "../orchestrator/agent-handlers.js";
import type { KernelMethod } from "./handlers.js";
import type { KernelHandle } from "./start-kernel.js";

/** Methods the full daemon adds on top of the file syscalls (exec, approvals) — wired in step 6. */
export async function kernelExtensions(k: KernelHandle): Promise<Record<string, KernelMethod>> {
  return {
    // agent/spawn, agent/event: Agentfile runs journal their signed hash and lifecycle (src/orchestrator).
    ...(agentMethods({ workspace: k.workspace, record: (r) => k.core.recordDurable(r) }) as Record<
      string,
      KernelMethod
    >),
  };
}
