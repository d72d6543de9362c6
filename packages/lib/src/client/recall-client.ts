import type { MethodName, MethodTypes } from "../protocol/generated/methods.js";
import type { CallerIdentity } from "../protocol/generated/types.js";
import { type CallOptions, type ReconnectOptions, RpcClient } from "../rpc/rpc-client.js";
import { findRecallSocket, requireSocket } from "./discover-socket.js";

export interface RecallClientOptions {
  cwd?: string;
  socketPath?: string;
  identity?: CallerIdentity;
  timeoutMs?: number;
  reconnect?: boolean | ReconnectOptions;
}

/** Params of a protocol method without `_meta` (a loose record for methods the protocol does not declare yet). */
export type ParamsOf<M extends string> = M extends MethodName
  ? Omit<MethodTypes[M]["params"], "_meta">
  : Record<string, unknown>;
/** Result type of a protocol method (unknown for undeclared ones). */
export type ResultOf<M extends string> = M extends MethodName ? MethodTypes[M]["result"] : unknown;

/** Small facade over the recall daemon's socket (`.ostk/recall.sock`, `OSTK_RECALL_SOCKET` overrides). */
export class RecallClient {
  private constructor(readonly rpc: RpcClient) {}

  static async connect(opts: RecallClientOptions = {}): Promise<RecallClient> {
    const socketPath = opts.socketPath ?? requireSocket(findRecallSocket(opts.cwd), "recall", opts.cwd);
    return new RecallClient(
      await RpcClient.connect({
        socketPath,
        identity: opts.identity,
        timeoutMs: opts.timeoutMs,
        reconnect: opts.reconnect,
      }),
    );
  }

  private invoke<M extends string>(method: M, params: ParamsOf<M>, opts?: CallOptions): Promise<ResultOf<M>> {
    return this.rpc.call(method, params as Record<string, unknown>, opts) as Promise<ResultOf<M>>;
  }

  search(params: ParamsOf<"recall/search">, opts?: CallOptions): Promise<ResultOf<"recall/search">> {
    return this.invoke("recall/search", params, opts);
  }

  view(params: ParamsOf<"recall/view">, opts?: CallOptions): Promise<ResultOf<"recall/view">> {
    return this.invoke("recall/view", params, opts);
  }

  scan(params: ParamsOf<"recall/scan">, opts?: CallOptions): Promise<ResultOf<"recall/scan">> {
    return this.invoke("recall/scan", params, opts);
  }

  status(opts?: CallOptions): Promise<ResultOf<"recall/status">> {
    return this.invoke("recall/status", {} as ParamsOf<"recall/status">, opts);
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
