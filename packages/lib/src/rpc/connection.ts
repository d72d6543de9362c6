import type { Socket } from "node:net";
import { OstkRpcError } from "../errors.js";
import type { JournalPeer } from "../journal/entry.js";
import type { Logger } from "../util/logger.js";

/** One client connection. `state` is free for handlers (e.g. its subscriptions). */
export interface RpcConnection {
  readonly id: number;
  readonly closed: boolean;
  readonly state: Map<string, unknown>;
  /** Who connected, as the operating system reports it (see ServeRpcOptions.peerOf). */
  readonly peer?: JournalPeer;
  notify(method: string, params: Record<string, unknown>): void;
  onClose(cb: () => void): void;
  close(): void;
}

/** A server-side connection: writes frames (capping oversize responses), aborts its calls when it closes. */
export class Conn implements RpcConnection {
  closed = false;
  readonly state = new Map<string, unknown>();
  readonly abort = new AbortController();
  private closers: (() => void)[] = [];
  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly maxFrameBytes: number,
    private readonly logger: Logger,
    readonly peer?: JournalPeer,
  ) {}
  send(msg: unknown): void {
    if (this.closed) return;
    let text = JSON.stringify(msg);
    if (Buffer.byteLength(text) > this.maxFrameBytes && msg && typeof msg === "object" && "id" in msg) {
      const m = msg as { id: string | number | null };
      const err = new OstkRpcError(
        "FrameTooLarge",
        `the response is larger than the ${this.maxFrameBytes}-byte frame cap; ask for less (a range, a limit) and retry`,
      );
      text = JSON.stringify({ jsonrpc: "2.0", id: m.id, error: err.toJSON() });
    }
    this.socket.write(`${text}\n`);
  }
  notify(method: string, params: Record<string, unknown>): void {
    this.send({ jsonrpc: "2.0", method, params });
  }
  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closers.push(cb);
  }
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new OstkRpcError("Cancelled", "the caller disconnected"));
    for (const cb of this.closers.splice(0)) {
      try {
        cb();
      } catch (err) {
        this.logger.warn?.({ err }, "rpc: connection close callback failed");
      }
    }
  }
  close(): void {
    this.socket.end();
  }
}
