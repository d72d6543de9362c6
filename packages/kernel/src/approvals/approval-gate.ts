import { EventEmitter } from "node:events";
import { type Logger, redact, redactString } from "@ostk/lib";
import type { Decision } from "../policy/decide.js";
import { callHash, type ToolCall } from "../policy/tool-call.js";
import type { ApprovalRequest, ApprovalStore } from "./approval-store.js";

export type ApprovalOutcome = "approved" | "denied" | "expired";

export interface ApprovalEvent {
  type: "requested" | "approved" | "denied" | "expired" | "consumed";
  request: ApprovalRequest;
}

/**
 * Where a pending request is shown to a human: the CLI (`ostk approvals`), an MCP client that supports
 * elicitation, later a web panel or a chat webhook. A channel may decide by calling `gate.approve/deny`.
 */
export interface ApprovalChannel {
  name: string;
  notify(request: ApprovalRequest, gate: ApprovalGate): void | Promise<void>;
  /** The request was decided elsewhere or expired: withdraw any prompt. */
  settled?(request: ApprovalRequest, outcome: ApprovalOutcome): void;
}

export interface ApprovalGateOptions {
  store: ApprovalStore;
  /** How long a request waits for a human; expiry means deny. Default 5 minutes. */
  defaultTtlMs?: number;
  /** How often a waiter re-reads the store (decisions can come from another process, e.g. `ostk approve`). */
  pollMs?: number;
  logger?: Logger;
}

/** The approval gate: one module every channel plugs into. */
export class ApprovalGate {
  readonly store: ApprovalStore;
  private readonly ttl: number;
  private readonly pollMs: number;
  private readonly logger?: Logger;
  private readonly channels = new Set<ApprovalChannel>();
  private readonly events = new EventEmitter();
  private readonly settledIds = new Set<string>();

  constructor(opts: ApprovalGateOptions) {
    this.store = opts.store;
    this.ttl = opts.defaultTtlMs ?? 5 * 60_000;
    this.pollMs = opts.pollMs ?? 250;
    this.logger = opts.logger;
    this.events.setMaxListeners(0);
  }

  addChannel(channel: ApprovalChannel): () => void {
    this.channels.add(channel);
    return () => this.channels.delete(channel);
  }

  /** Every transition, for the kernel to journal. */
  onEvent(cb: (e: ApprovalEvent) => void): () => void {
    this.events.on("event", cb);
    return () => this.events.off("event", cb);
  }

  /** Open a pending request for an `ask` decision, bound to the exact call, and notify every channel. */
  request(opts: {
    call: ToolCall;
    decision: Pick<Decision, "reason" | "rule">;
    session?: string;
    actor?: string;
    ttlMs?: number;
  }): ApprovalRequest {
    const call = redact(opts.call);
    const req = this.store.create({
      callHash: callHash(opts.call),
      summary: summarize(opts.call),
      call,
      session: opts.session,
      actor: opts.actor,
      reason: opts.decision.reason,
      rule: opts.decision.rule,
      ttlMs: opts.ttlMs ?? this.ttl,
    });
    this.emit("requested", req);
    for (const ch of this.channels) {
      Promise.resolve()
        .then(() => ch.notify(req, this))
        .catch((err: unknown) =>
          this.logger?.warn?.({ err, channel: ch.name, id: req.id }, "approval channel failed"),
        );
    }
    return req;
  }

  approve(id: string, d: { by: string; note?: string; channel: string }): boolean {
    return this.settle(id, "approved", d);
  }

  deny(id: string, d: { by: string; note?: string; channel: string }): boolean {
    return this.settle(id, "denied", d);
  }

  private settle(
    id: string,
    status: "approved" | "denied",
    d: { by: string; note?: string; channel: string },
  ) {
    const ok = this.store.decide(id, status, d);
    if (ok) this.published(id);
    else this.events.emit(`changed:${id}`);
    return ok;
  }

  /** Resolves when the request is decided or expires (expiry = deny). Decisions from other processes are seen by polling. */
  waitFor(id: string, opts: { signal?: AbortSignal } = {}): Promise<ApprovalOutcome> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        if (poll) clearInterval(poll);
        this.events.off(`changed:${id}`, check);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      const check = () => {
        const req = this.store.get(id);
        if (!req) {
          cleanup();
          reject(new Error(`approval ${id} does not exist`));
          return;
        }
        if (req.status === "pending") return;
        cleanup();
        this.published(id, req);
        resolve(req.status as ApprovalOutcome);
      };
      const onAbort = () => {
        this.deny(id, { by: "system", note: "the call was cancelled", channel: "cancel" });
        check();
      };
      this.events.on(`changed:${id}`, check);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      poll = setInterval(check, this.pollMs);
      const req = this.store.get(id);
      if (req) timer = setTimeout(check, Math.max(0, req.expiresAt - Date.now()) + 5);
      check();
    });
  }

  /** Use an approval to run its call: true once, and only when `call` is exactly the approved call. */
  consume(id: string, call: ToolCall): boolean {
    const ok = this.store.consume(id, callHash(call));
    if (ok) {
      const req = this.store.get(id);
      if (req) this.emit("consumed", req);
    }
    return ok;
  }

  private published(id: string, known?: ApprovalRequest): void {
    if (this.settledIds.has(id)) return;
    const req = known ?? this.store.get(id);
    if (!req || req.status === "pending") return;
    this.settledIds.add(id);
    const outcome = req.status as ApprovalOutcome;
    this.emit(outcome, req);
    for (const ch of this.channels) {
      try {
        ch.settled?.(req, outcome);
      } catch {}
    }
    this.events.emit(`changed:${id}`);
  }

  private emit(type: ApprovalEvent["type"], request: ApprovalRequest): void {
    this.events.emit("event", { type, request } satisfies ApprovalEvent);
  }
}

/** One line a human can judge: `exec: rm -rf build` / `write: src/a.ts`. Secrets are masked. */
export function summarize(call: ToolCall): string {
  if (call.verb === "exec") return `exec: ${redactString(call.command ?? "")}`;
  return `${call.verb}: ${call.path ?? ""}${call.to ? ` → ${call.to}` : ""}`;
}

/**
 * The whole flow for an `ask` decision: open a request, wait for a human, and consume the approval so the
 * call runs once. Returns the outcome; only `approved` may run the call.
 */
export async function askForApproval(
  gate: ApprovalGate,
  opts: {
    call: ToolCall;
    decision: Pick<Decision, "reason" | "rule">;
    session?: string;
    actor?: string;
    ttlMs?: number;
    signal?: AbortSignal;
    onPending?: (req: ApprovalRequest) => void;
  },
): Promise<{ outcome: ApprovalOutcome; request: ApprovalRequest }> {
  const req = gate.request(opts);
  opts.onPending?.(req);
  const outcome = await gate.waitFor(req.id, { signal: opts.signal });
  if (outcome === "approved" && !gate.consume(req.id, opts.call)) {
    return { outcome: "denied", request: gate.store.get(req.id) ?? req };
  }
  return { outcome, request: gate.store.get(req.id) ?? req };
}

/**
 * A channel that asks a human directly and decides from the answer (`true` approve, `false` deny, `null`
 * no answer: the request stays pending for other channels). The MCP elicitation channel is one of these.
 */
export function promptChannel(
  name: string,
  ask: (req: ApprovalRequest) => Promise<boolean | null>,
  who = name,
): ApprovalChannel {
  return {
    name,
    async notify(req, gate) {
      const answer = await ask(req);
      if (answer === true) gate.approve(req.id, { by: who, channel: name });
      else if (answer === false) gate.deny(req.id, { by: who, channel: name });
    },
  };
}
