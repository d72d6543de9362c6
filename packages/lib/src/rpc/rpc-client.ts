import type { Socket } from "node:net";
import { OstkRpcError } from "../errors.js";
import type { MethodName, MethodTypes } from "../protocol/generated/methods.js";
import type { CallerIdentity } from "../protocol/generated/types.js";
import type { Logger } from "../util/logger.js";
import { nodeModule } from "../util/node.js";
import { DEFAULT_MAX_FRAME_BYTES, LineDecoder } from "./line-decoder.js";
import { attachMeta } from "./meta.js";
import { errorResponse, type RpcResponse } from "./request-shape.js";

export interface ReconnectOptions {
  /** First retry delay; doubles per attempt with ±20 % jitter. Default 50 ms. */
  initialDelayMs?: number;
  /** Cap on the delay. Default 2 s. */
  maxDelayMs?: number;
  /** Give up after this many attempts in a row (then calls fail with Unavailable). Default: never. */
  maxAttempts?: number;
}

export interface RpcClientOptions {
  socketPath: string;
  /** Per-call timeout. Default 30 s. */
  timeoutMs?: number;
  /** Attached to every call as `_meta.identity`. */
  identity?: CallerIdentity;
  /** Reconnect after the daemon goes away (e.g. restarts). Default true. */
  reconnect?: boolean | ReconnectOptions;
  /** Cap on one inbound frame. Default 8 MiB. */
  maxFrameBytes?: number;
  logger?: Logger;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Params = Record<string, unknown> | undefined;

/** A call sent and not yet answered. */
interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Stops listening to the caller's abort signal. */
  unlisten?: () => void;
}

/**
 * A JSON-RPC 2.0 client over a unix socket (newline-delimited frames). Every
 * call carries `_meta.identity` and a `traceparent`; calls time out; the
 * connection comes back with backoff after the daemon restarts. A call that was
 * on the wire when the connection dropped fails with Unavailable (it may or may
 * not have run) and is never re-sent automatically.
 */
export class RpcClient {
  private socket: Socket | null = null;
  /** Calls sent and waiting for their answer, by request id. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  // biome-ignore lint/suspicious/noExplicitAny: listeners declare the params type of the notification they subscribe to
  private readonly listeners = new Map<string, Set<(params: any) => void>>();
  private readonly reconnectListeners = new Set<() => void>();
  /** Calls made and not yet settled (sent or waiting for the connection); `close()` waits for them. */
  private unsettled = 0;
  private onSettled: (() => void) | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private closing = false;
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private lastError: Error | null = null;
  private gaveUp = false;
  identity: CallerIdentity | undefined;

  private constructor(private readonly opts: RpcClientOptions) {
    this.identity = opts.identity;
  }

  static async connect(opts: RpcClientOptions): Promise<RpcClient> {
    const client = new RpcClient(opts);
    await client.open();
    return client;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  get socketPath(): string {
    return this.opts.socketPath;
  }

  private open(): Promise<void> {
    const net = nodeModule("node:net");
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.opts.socketPath);
      const decoder = new LineDecoder(this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.on("error", (err) => this.opts.logger?.debug?.({ err }, "rpc client: socket error"));
        this.socket = socket;
        this.attempts = 0;
        const waiters = this.waiters.splice(0);
        for (const w of waiters) w.resolve();
        resolve();
      });
      socket.once("error", (err) =>
        reject(
          new OstkRpcError(
            "Unavailable",
            `cannot connect to ${this.opts.socketPath}: ${(err as Error).message}; is the daemon running?`,
            undefined,
            err,
          ),
        ),
      );
      socket.on("data", (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) {
          if (f.kind === "oversize") {
            this.opts.logger?.warn?.({ bytes: f.bytes }, "rpc client: dropped an oversize frame");
            // Fail the call it answered (its id is near the start) instead of letting it time out.
            const id = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(f.head)?.[1];
            if (id !== undefined && !/"method"\s*:/.test(f.head)) {
              this.settle(
                JSON.parse(id),
                new OstkRpcError(
                  "FrameTooLarge",
                  `the answer is ${f.bytes} bytes, above this client's ${this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES}-byte frame cap; ask for less or raise maxFrameBytes`,
                  { kind: "FrameTooLarge", bytes: f.bytes },
                ),
              );
            }
            continue;
          }
          this.onFrame(f.text);
        }
      });
      socket.on("close", () => {
        if (this.socket !== socket) return;
        this.socket = null;
        for (const [id, p] of this.pending)
          this.settle(
            id,
            new OstkRpcError(
              "Unavailable",
              `${p.method}: the daemon closed the connection before answering; the call may or may not have run (check the journal before retrying)`,
            ),
          );
        if (!this.closing) this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect(): void {
    const r = this.opts.reconnect ?? true;
    if (r === false) {
      this.failWaiters(
        new OstkRpcError("Unavailable", `the connection to ${this.opts.socketPath} is closed`),
      );
      return;
    }
    const cfg = r === true ? {} : r;
    if (cfg.maxAttempts !== undefined && this.attempts >= cfg.maxAttempts) {
      this.gaveUp = true;
      this.failWaiters(
        this.lastError ?? new OstkRpcError("Unavailable", `gave up reconnecting to ${this.opts.socketPath}`),
      );
      return;
    }
    const base = Math.min((cfg.initialDelayMs ?? 50) * 2 ** this.attempts, cfg.maxDelayMs ?? 2000);
    const delay = base * (0.8 + Math.random() * 0.4);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closing) return;
      this.open().then(
        () => {
          for (const cb of this.reconnectListeners) cb();
        },
        (err) => {
          this.lastError = err;
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private onFrame(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.opts.logger?.warn?.({}, "rpc client: the daemon sent a frame that is not JSON");
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m && typeof m === "object" && typeof (m as { method?: unknown }).method === "string") {
        const n = m as { method: string; params?: unknown; id?: unknown };
        if ("id" in n && n.id !== undefined) {
          this.write(
            errorResponse(n.id as string, new OstkRpcError("MethodNotFound", "clients serve no methods")),
          );
          continue;
        }
        for (const cb of this.listeners.get(n.method) ?? []) {
          try {
            cb(n.params);
          } catch (err) {
            this.opts.logger?.error?.({ err, method: n.method }, "rpc client: notification listener threw");
          }
        }
      } else if (m && typeof m === "object" && "id" in m) {
        const r = m as RpcResponse;
        if (typeof r.id !== "number") continue;
        if (r.error && typeof r.error === "object") this.settle(r.id, OstkRpcError.fromJSON(r.error));
        else this.settle(r.id, undefined, r.result);
      }
    }
  }

  /** Ends one pending call with its answer (or `err`); ids no call is waiting for are ignored. */
  private settle(id: number, err: Error | undefined, result?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.unlisten?.();
    if (err) p.reject(err);
    else p.resolve(result);
  }

  private write(payload: unknown): void {
    const s = this.socket;
    if (!s) throw new OstkRpcError("Unavailable", `not connected to ${this.opts.socketPath}`);
    s.write(`${JSON.stringify(payload)}\n`);
  }

  private async ready(deadline: number): Promise<void> {
    if (this.socket) return;
    if (this.closing) throw new OstkRpcError("Unavailable", "the client is closed");
    if (this.gaveUp)
      throw new OstkRpcError(
        "Unavailable",
        `gave up reconnecting to ${this.opts.socketPath}: ${this.lastError?.message ?? "the daemon is gone"}; connect again once it runs`,
      );
    if ((this.opts.reconnect ?? true) === false)
      throw new OstkRpcError("Unavailable", `the connection to ${this.opts.socketPath} is closed`);
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new OstkRpcError(
              "Unavailable",
              `the daemon at ${this.opts.socketPath} did not come back in time`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  /** Calls a method; typed for protocol methods. Rejects with OstkRpcError. */
  call<M extends MethodName>(
    method: M,
    params: Omit<MethodTypes[M]["params"], "_meta"> & { _meta?: unknown },
    opts?: CallOptions,
  ): Promise<MethodTypes[M]["result"]>;
  call(method: string, params?: Params, opts?: CallOptions): Promise<unknown>;
  call(method: string, params?: Params, opts: CallOptions = {}): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    this.unsettled++;
    const p = this.socket
      ? this.send(method, params, timeoutMs, deadline, opts.signal)
      : this.ready(deadline).then(() => this.send(method, params, timeoutMs, deadline, opts.signal));
    const done = () => {
      if (--this.unsettled === 0) this.onSettled?.();
    };
    p.then(done, done);
    return p;
  }

  /** Writes one request and resolves with its result, or rejects on error, timeout or cancel. */
  private send(
    method: string,
    params: Params,
    timeoutMs: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new OstkRpcError("Cancelled", `${method} was cancelled by the caller`));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(
        () =>
          this.settle(
            id,
            new OstkRpcError(
              "Timeout",
              `${method} did not answer within ${timeoutMs} ms; it may still complete on the daemon`,
            ),
          ),
        Math.max(1, deadline - Date.now()),
      );
      const pending: Pending = { method, resolve, reject, timer };
      if (signal) {
        const onAbort = () =>
          this.settle(id, new OstkRpcError("Cancelled", `${method} was cancelled by the caller`));
        signal.addEventListener("abort", onAbort, { once: true });
        pending.unlisten = () => signal.removeEventListener("abort", onAbort);
      }
      this.pending.set(id, pending);
      try {
        this.write({ jsonrpc: "2.0", id, method, params: attachMeta(params, this.identity) });
      } catch (err) {
        // Not connected (Unavailable), or params JSON cannot carry (a cycle, a BigInt).
        this.settle(
          id,
          err instanceof OstkRpcError
            ? err
            : new OstkRpcError(
                "InvalidParams",
                `${method}: params cannot be sent: ${(err as Error).message}`,
              ),
        );
      }
    });
  }

  /** Sends a notification (no answer). */
  notify(method: string, params?: Params): void {
    this.write({ jsonrpc: "2.0", method, params: attachMeta(params, this.identity) });
  }

  /** Listens for a notification; returns a function that stops listening. */
  // biome-ignore lint/suspicious/noExplicitAny: listeners declare the params type of the notification they subscribe to
  onNotification(method: string, cb: (params: any) => void): () => void {
    let set = this.listeners.get(method);
    if (!set) {
      set = new Set();
      this.listeners.set(method, set);
    }
    set.add(cb);
    return () => set.delete(cb);
  }

  /** Called after each successful reconnect (e.g. to re-subscribe). */
  onReconnect(cb: () => void): () => void {
    this.reconnectListeners.add(cb);
    return () => this.reconnectListeners.delete(cb);
  }

  /** Waits for in-flight calls, then closes the connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.failWaiters(new OstkRpcError("Unavailable", "the client is closed"));
    while (this.unsettled > 0)
      await new Promise<void>((resolve) => {
        this.onSettled = resolve;
      });
    this.onSettled = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      await new Promise<void>((resolve) => {
        s.once("close", () => resolve());
        s.end();
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 200).unref?.();
      });
    }
  }
}
