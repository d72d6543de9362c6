import * as fs from "node:fs";
import * as path from "node:path";
import { OstkRpcError, sha256Hex } from "@ostk/lib";
import { type ApprovalGate, askForApproval } from "../approvals/approval-gate.js";
import type { KernelCore } from "../core/kernel-core.js";
import { type CapabilityGrant, negotiateGrant, type ScopeRequest } from "../policy/capability-grant.js";
import { type Decision, decide } from "../policy/decide.js";
import { type Pin, type Verb, WRITE_VERBS } from "../policy/pin-caps.js";
import { loadPin, selectPin } from "../policy/pin-select.js";
import type { ToolCall } from "../policy/tool-call.js";
import { loadConfig } from "./config.js";
import type { KernelCallContext } from "./handlers.js";

const FS_VERBS: Record<string, Verb> = {
  "fs/read": "read",
  "fs/list": "list",
  "fs/glob": "glob",
  "fs/search": "grep",
  "fs/stat": "stat",
  "fs/write": "write",
  "fs/edit": "edit",
  "fs/delete": "delete",
  "fs/move": "move",
  "fs/mkdir": "mkdir",
};

/** mtime of a file, -1 when it does not exist (checked on every call: no exception for the usual miss). */
function mtimeOf(file: string): number {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  } catch {
    return -1;
  }
}

/** Capability tokens (`read:src/**`, `write:docs/**`, `execute:shell`) → the policy's scope request. */
export function scopeRequestOf(capabilities: readonly string[]): ScopeRequest {
  const request: ScopeRequest = {};
  for (const cap of capabilities) {
    const i = cap.indexOf(":");
    const kind = i > 0 ? cap.slice(0, i) : cap;
    const value = i > 0 ? cap.slice(i + 1) : "";
    if (kind === "read" || kind === "write" || kind === "execute") {
      const list = request[kind] ?? [];
      list.push(value);
      request[kind] = list;
    }
  }
  return request;
}

export interface PolicyGuard {
  /** Resolve once the decision chain allows this call (approval waited for when it asks); throws otherwise. */
  check(method: string, params: unknown, ctx: KernelCallContext): Promise<void>;
  /** The pin in force now (fail-closed: throws PolicyDenied when it does not parse). */
  pin(): Pin;
  grants: Map<string, CapabilityGrant>;
  /** The session's grant (re-negotiated from sessions.db after a restart, never widened). */
  grantFor(session: string | undefined): CapabilityGrant | undefined;
  /**
   * The read decision `fs/read` gets, as a per-path predicate for this caller: query results (list, glob,
   * grep, generations, journal entries) show only paths it allows. Only "allow" counts; nothing asks.
   */
  readable(ctx: KernelCallContext): (rel: string) => boolean;
}

/**
 * The decision chain in front of every file syscall (exec has its own, in the sandbox layer): pin hard
 * deny and the session's grant → risky → approval → session allow-list → pin. Denials and approvals
 * are journaled with their reason; allowed reads and writes are not (the commit is their record).
 */
export function createPolicyGuard(
  core: KernelCore,
  gate: ApprovalGate,
  storedScope: (session: string) => string | null | undefined = () => undefined,
): PolicyGuard {
  let cached: { name: string; mtime: number; pin: Pin } | null = null;
  const grants = new Map<string, CapabilityGrant>();
  let cfgCache: { mtime: number; pin: string | undefined } | null = null;
  const configuredPin = (): string | undefined => {
    const mtime = mtimeOf(path.join(core.ws.stateDir, "config.toml"));
    if (cfgCache?.mtime !== mtime) {
      const cfg = loadConfig(core.ws.root);
      cfgCache = { mtime, pin: cfg.ok ? cfg.config.pin : undefined };
    }
    return cfgCache.pin;
  };
  const pin = (): Pin => {
    const name = selectPin({ configPin: configuredPin() }).name;
    const mtime = mtimeOf(path.join(core.ws.stateDir, "pins", name, "pin.caps"));
    if (cached && cached.name === name && cached.mtime === mtime) return cached.pin;
    const p = loadPin(core.ws.root, name);
    cached = { name, mtime, pin: p };
    return p;
  };

  const journalDecision = (
    ctx: KernelCallContext,
    call: ToolCall,
    d: Decision,
    extra: Record<string, unknown> = {},
  ) => {
    const { contentHash: _h, ...shown } = call;
    core.record({
      event: "decision",
      actor: ctx.actor,
      trace: ctx.trace,
      path: call.path,
      data: { call: shown, decision: d.decision, reason: d.reason, rule: d.rule, ...extra },
    });
  };

  const grantFor = (session: string | undefined): CapabilityGrant | undefined => {
    if (!session) return undefined;
    const known = grants.get(session);
    if (known) return known;
    const stored = storedScope(session);
    if (!stored) return undefined;
    let caps: string[] = [];
    try {
      caps = (JSON.parse(stored) as { capabilities?: string[] }).capabilities ?? [];
    } catch {
      caps = [];
    }
    const grant = negotiateGrant(pin(), scopeRequestOf(caps));
    grants.set(session, grant);
    return grant;
  };

  return {
    grants,
    grantFor,
    pin,
    readable(ctx) {
      const active = pin();
      const grant = grantFor(ctx.actor.session);
      return (rel) => decide({ verb: "read", path: rel }, { pin: active, grant }).decision === "allow";
    },
    async check(method, raw, ctx) {
      const verb = FS_VERBS[method];
      if (!verb) return;
      const p = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
      const rel = (v: unknown) =>
        typeof v === "string" ? core.ws.resolve(v, { follow: false, memo: ctx.resolved }).rel : undefined;
      let call: ToolCall =
        verb === "move" ? { verb, path: rel(p.from), to: rel(p.to) } : { verb, path: rel(p.path) ?? "" };
      const grant = grantFor(ctx.actor.session);
      const active = pin();
      if (call.path === "" && !WRITE_VERBS.has(verb)) {
        // A query over the whole workspace (list/glob/grep/stat of the root): allowed when the pin
        // grants reading at all and does not deny the verb; each path inside is filtered by `readable`.
        if (active.read.length > 0 && !active.denyVerbs.includes(verb)) return;
      }
      let d = decide(call, { pin: active, grant });
      if (d.decision === "allow") {
        // A path through a symlink is also decided by where it leads: a link inside the workspace
        // must not turn a denied (or approval-only) path into an allowed one.
        const real = (v: unknown) =>
          typeof v === "string" ? core.ws.resolve(v, { memo: ctx.resolved }).rel : undefined;
        const target: ToolCall =
          verb === "move" ? { verb, path: real(p.from), to: real(p.to) } : { verb, path: real(p.path) ?? "" };
        if (target.path === call.path && target.to === call.to) return;
        const dt = decide(target, { pin: active, grant });
        if (dt.decision === "allow") return;
        call = target;
        d = dt;
      }
      journalDecision(ctx, call, d);
      if (d.decision === "deny") throw new OstkRpcError("PolicyDenied", d.reason, { rule: d.rule });
      // An approval is bound to the exact content (only hashed when a human is asked).
      if (verb === "write" && typeof p.content === "string") call.contentHash = sha256Hex(p.content);
      // The syscall resolves its paths again after a human answered, not from before the wait.
      ctx.resolved?.clear();
      const { outcome, request } = await askForApproval(gate, {
        call,
        decision: d,
        session: ctx.actor.session,
        actor: ctx.actor.id,
        signal: ctx.signal,
        onPending: (req) =>
          ctx.notify("approval/pending", {
            id: req.id,
            summary: req.summary,
            reason: d.reason,
            rule: d.rule,
            expiresAt: req.expiresAt,
          }),
      });
      core.record({
        event: `approval.${outcome}`,
        actor: ctx.actor,
        trace: ctx.trace,
        path: call.path,
        data: { id: request.id, rule: d.rule, decided_by: request.decidedBy ?? null },
      });
      if (outcome !== "approved") {
        throw new OstkRpcError(
          "ApprovalDenied",
          `approval ${request.id} ${outcome === "expired" ? "expired" : "was denied"}; nothing was changed`,
          {
            approval_id: request.id,
            rule: d.rule,
          },
        );
      }
      const again = decide(call, { pin: pin(), grant, approved: true });
      if (again.decision !== "allow") {
        journalDecision(ctx, call, again, { approval_id: request.id });
        throw new OstkRpcError("PolicyDenied", again.reason, { rule: again.rule });
      }
    },
  };
}
