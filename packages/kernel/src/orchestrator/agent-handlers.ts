import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { type JournalActor, type JournalEntry, type JournalRecord, OstkRpcError } from "@ostk/lib";

/** Lifecycle events an agent run may journal through `agent/event`. */
export const AGENT_EVENTS = ["agent.turn", "agent.resume", "agent.approval", "agent.end"] as const;

export interface AgentMethodDeps {
  workspace: string;
  /** Appends a signed, durable journal entry (`KernelCore.recordDurable`). */
  record(record: JournalRecord): Promise<JournalEntry>;
}

/** The part of the daemon's call context these methods use (a subset of `KernelCallContext`). */
export interface AgentCallContext {
  actor: JournalActor;
  trace?: string;
}

export type AgentMethod = (params: unknown, ctx: AgentCallContext) => Promise<unknown>;

function obj(p: unknown): Record<string, unknown> {
  if (!p || typeof p !== "object" || Array.isArray(p))
    throw new OstkRpcError("InvalidParams", "params: expected an object");
  return p as Record<string, unknown>;
}

/**
 * `agent/spawn` and `agent/event`, served by the daemon next to the syscalls
 * (pass them as `startKernel({ methods })`). At spawn the kernel hashes the
 * Agentfile itself when it lies in the workspace and journals the signed
 * hash, so every run names exactly what it ran; if the file changed since the
 * runner parsed it, the spawn is refused.
 */
export function agentMethods(deps: AgentMethodDeps): Record<string, AgentMethod> {
  return {
    "agent/spawn": async (raw, ctx) => {
      const p = obj(raw);
      const claimed = String(p.sha256 ?? "");
      if (!/^[0-9a-f]{64}$/.test(claimed))
        throw new OstkRpcError("InvalidParams", "sha256: expected 64 hex characters");
      let path: string | undefined;
      if (typeof p.path === "string" && p.path) {
        const abs = isAbsolute(p.path) ? p.path : resolve(deps.workspace, p.path);
        const rel = relative(deps.workspace, abs);
        if (!rel.startsWith("..") && !isAbsolute(rel)) {
          path = rel.split("\\").join("/");
          let actual: string;
          try {
            actual = createHash("sha256").update(readFileSync(abs)).digest("hex");
          } catch {
            throw new OstkRpcError("NotFound", `Agentfile ${path} cannot be read`, { path });
          }
          if (actual !== claimed)
            throw new OstkRpcError(
              "InvalidParams",
              `Agentfile ${path} changed since it was parsed (sha256 ${actual.slice(0, 12)}…, runner has ${claimed.slice(0, 12)}…); nothing ran — run it again`,
              { path },
            );
        }
      }
      const { sha256: _s, path: _p, _meta: _m, ...rest } = p;
      const entry = await deps.record({
        event: "agent.spawn",
        actor: ctx.actor,
        trace: ctx.trace,
        ...(path ? { path } : {}),
        data: {
          agentfile_sha256: claimed,
          kernel_hashed: path !== undefined,
          ...(path || !p.path ? {} : { agentfile: p.path }),
          ...rest,
        },
      });
      return { seq: entry.seq, sha256: claimed };
    },
    "agent/event": async (raw, ctx) => {
      const p = obj(raw);
      const event = String(p.event ?? "");
      if (!(AGENT_EVENTS as readonly string[]).includes(event))
        throw new OstkRpcError("InvalidParams", `event: expected one of ${AGENT_EVENTS.join(", ")}`);
      const data = p.data && typeof p.data === "object" ? (p.data as Record<string, unknown>) : {};
      const entry = await deps.record({ event, actor: ctx.actor, trace: ctx.trace, data });
      return { seq: entry.seq };
    },
  };
}
