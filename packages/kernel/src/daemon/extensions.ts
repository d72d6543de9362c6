import { redact } from "@ostk/lib";
import { agentMethods } from "../orchestrator/agent-handlers.js";
import { loadPin, selectPin } from "../policy/pin-select.js";
import { sandboxMethods } from "../sandbox/sandbox-methods.js";
import { loadConfig } from "./config.js";
import type { KernelCallContext, KernelMethod } from "./handlers.js";
import type { KernelHandle } from "./start-kernel.js";

/**
 * The sandbox layer's methods (`exec`, `approvals/*`), wired to this kernel: the pin from config /
 * OSTK_PIN, the approval gate on sessions.db, the signing-key directory as a secret path, and every
 * decision, approval and command result journaled — with the files a command changed committed as
 * `fs.commit` (op `exec`) under the caller's identity, each with a generation bump.
 */
export async function kernelExtensions(k: KernelHandle): Promise<Record<string, KernelMethod>> {
  const gate = k.gate;
  const pinName = () => {
    const cfg = loadConfig(k.workspace);
    return selectPin({ configPin: cfg.ok ? cfg.config.pin : undefined }).name;
  };
  const methods = sandboxMethods({
    workspace: k.workspace,
    pin: () => loadPin(k.workspace, pinName()),
    gate,
    policy: () => ({ secretPaths: [k.keyDir] }),
    decisionContext: (ctx) => {
      const session = (ctx as KernelCallContext).actor?.session;
      const grant = k.guard.grantFor(session);
      return grant ? { grant } : {};
    },
    async record(event, data, sctx) {
      const ctx = sctx as KernelCallContext;
      const actor = ctx.actor ?? { id: "anonymous", kind: "agent" as const };
      const safe = redact(data) as Record<string, unknown>;
      if (event === "decision") {
        k.core.record({ event: "decision", actor, trace: ctx.trace, data: safe });
        return;
      }
      if (event === "approval") {
        k.core.record({ event: `approval.${String(data.outcome)}`, actor, trace: ctx.trace, data: safe });
        return;
      }
      const files = (data.files ?? {}) as { changed?: string[]; created?: string[]; deleted?: string[] };
      const entry = k.core.record({ event: "tool.bash", actor, trace: ctx.trace, data: safe });
      const paths = [...(files.changed ?? []), ...(files.created ?? []), ...(files.deleted ?? [])];
      const committed = await k.core.attributeChanges(paths, { actor, trace: ctx.trace }, "exec", {
        exec_seq: entry.seq,
      });
      await k.core.journal.flush();
      (data as Record<string, unknown>).committed = committed;
    },
  });
  return {
    ...(methods as Record<string, KernelMethod>),
    // agent/spawn, agent/event: Agentfile runs journal their signed hash and lifecycle (src/orchestrator).
    ...(agentMethods({ workspace: k.workspace, record: (r) => k.core.recordDurable(r) }) as Record<
      string,
      KernelMethod
    >),
  };
}
