import type { JournalEntry } from "../journal/entry.js";
import type { MethodName, MethodTypes } from "../protocol/generated/methods.js";
import type { CallerIdentity, CapabilityScope, Negotiation } from "../protocol/generated/types.js";
import { type CallOptions, type ReconnectOptions, RpcClient } from "../rpc/rpc-client.js";
import { AsyncQueue } from "../util/async-queue.js";
import type { Logger } from "../util/logger.js";
import { findKernelSocket, requireSocket } from "./discover-socket.js";

export interface KernelClientOptions {
  /** Where to start looking for `.ostk/ostk.sock` (default: process.cwd()). */
  cwd?: string;
  /** Explicit socket path (wins over discovery; `OSTK_SOCKET` wins over cwd discovery). */
  socketPath?: string;
  identity?: CallerIdentity;
  timeoutMs?: number;
  reconnect?: boolean | ReconnectOptions;
  logger?: Logger;
}

export interface SubscribeOptions {
  /** Only entries whose path starts with one of these (workspace-relative). */
  paths?: string[];
  /** Only these events (e.g. ["fs.commit"]). */
  events?: string[];
  /** Replay committed entries after this seq first (when the kernel still has them). */
  since_seq?: number;
  signal?: AbortSignal;
}

/** Committed journal entries as an async iterator; `ready` resolves once the kernel confirmed the subscription. */
export type JournalSubscription = AsyncIterableIterator<JournalEntry> & { ready: Promise<void> };

/** Typed facade over the kernel's JSON-RPC socket. */
export class KernelClient {
  private constructor(readonly rpc: RpcClient) {}

  static async connect(opts: KernelClientOptions = {}): Promise<KernelClient> {
    const socketPath = opts.socketPath ?? requireSocket(findKernelSocket(opts.cwd), "kernel", opts.cwd);
    const rpc = await RpcClient.connect({
      socketPath,
      identity: opts.identity,
      timeoutMs: opts.timeoutMs,
      reconnect: opts.reconnect,
      logger: opts.logger,
    });
    return new KernelClient(rpc);
  }

  get identity(): CallerIdentity | undefined {
    return this.rpc.identity;
  }

  /** Any kernel method, typed by the generated protocol. */
  call<M extends MethodName>(
    method: M,
    params: Omit<MethodTypes[M]["params"], "_meta">,
    opts?: CallOptions,
  ): Promise<MethodTypes[M]["result"]>;
  call(method: string, params?: Record<string, unknown>, opts?: CallOptions): Promise<unknown>;
  call(method: string, params?: Record<string, unknown>, opts?: CallOptions): Promise<unknown> {
    return this.rpc.call(method, params, opts);
  }

  /**
   * Asks for a capability scope (pins and/or capability tokens). The returned
   * session is attached to every later call's identity, so the kernel applies
   * the granted scope to them.
   */
  async negotiate(scope: CapabilityScope | string[], opts: { label?: string } = {}): Promise<Negotiation> {
    const s: CapabilityScope = Array.isArray(scope) ? { pins: scope } : scope;
    const params: { scope: CapabilityScope; label?: string } = { scope: s };
    if (opts.label) params.label = opts.label;
    const res = await this.rpc.call<"session/negotiate">("session/negotiate", params);
    if (this.rpc.identity) this.rpc.identity = { ...this.rpc.identity, session: res.session };
    return res;
  }

  /** The OpenRPC document the kernel serves. */
  discover(): Promise<unknown> {
    return this.rpc.call("rpc.discover", {});
  }

  /**
   * Committed journal entries as they happen. Survives kernel restarts: after a
   * reconnect it re-subscribes from the last seq it delivered, so nothing is
   * duplicated (and nothing is lost while the kernel still holds the entries).
   */
  subscribe(opts: SubscribeOptions = {}): JournalSubscription {
    let subscription: string | null = null;
    let lastSeq = opts.since_seq ?? -1;
    const pending: JournalEntry[] = [];
    const queue = new AsyncQueue<JournalEntry>(() => stop());
    const offNote = this.rpc.onNotification(
      "journal/event",
      (p: { subscription: string; entry: JournalEntry }) => {
        if (!p || typeof p !== "object" || !p.entry) return;
        if (subscription === null) pending.push(p.entry);
        else if (p.subscription === subscription) deliver(p.entry);
      },
    );
    const deliver = (e: JournalEntry) => {
      if (e.seq <= lastSeq) return;
      lastSeq = e.seq;
      queue.push(e);
    };
    const start = async () => {
      const params: Record<string, unknown> = {};
      if (opts.paths) params.paths = opts.paths;
      if (opts.events) params.events = opts.events;
      if (lastSeq >= 0) params.since_seq = lastSeq;
      subscription = null;
      const res = (await this.rpc.call("client/subscribe", params)) as {
        subscription: string;
        head_seq?: number;
      };
      subscription = res.subscription;
      // From here on nothing may be missed: a re-subscribe after a restart replays from this point.
      if (lastSeq < 0 && typeof res.head_seq === "number") lastSeq = res.head_seq;
      for (const e of pending.splice(0)) deliver(e);
    };
    const offReconnect = this.rpc.onReconnect(() => {
      start().catch((err) => queue.fail(err));
    });
    const stop = () => {
      offNote();
      offReconnect();
      const sub = subscription;
      if (sub && this.rpc.connected)
        this.rpc.call("client/unsubscribe", { subscription: sub }).catch(() => {});
    };
    opts.signal?.addEventListener("abort", () => queue.return(), { once: true });
    const started = start();
    started.catch((err) => queue.fail(err));
    const ready = started.then(() => undefined);
    ready.catch(() => {}); // the failure also reaches the iterator; awaiting `ready` is optional
    return Object.assign(queue, { ready });
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
