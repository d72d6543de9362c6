import * as path from "node:path";
import Database from "better-sqlite3";
import { ApprovalGate, ApprovalStore } from "../../src/approvals/index.js";
import type { KernelHandle } from "../../src/daemon/start-kernel.js";
import { loadPin } from "../../src/policy/index.js";
import { sandboxMethods } from "../../src/sandbox/sandbox-methods.js";
import type { KernelMethods } from "./harness.js";

/**
 * `exec` and `approvals/*` from the sandbox layer, wired the way the daemon
 * wires them (the pin read per call, approvals in sessions.db, decisions and
 * results journaled with the caller's identity and trace). Used only while the
 * daemon's own kernelExtensions do not serve `exec` yet.
 */
export function sandboxExtras(pinName = "default"): (k: KernelHandle) => KernelMethods {
  return (k) => {
    const db = new Database(path.join(k.workspace, ".ostk", "sessions.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    const gate = new ApprovalGate({ store: new ApprovalStore(db), pollMs: 25, defaultTtlMs: 60_000 });
    const events: Record<string, string> = { decision: "decision", approval: "approval", exec: "tool.bash" };
    return sandboxMethods({
      workspace: k.workspace,
      pin: () => loadPin(k.workspace, pinName),
      gate,
      record: async (event, data, ctx) => {
        const c = ctx as { actor: { id: string; kind: "agent"; session?: string }; trace?: string };
        await k.core.recordDurable({ event: events[event], actor: c.actor, trace: c.trace, data });
      },
    }) as unknown as KernelMethods;
  };
}
