import {
  type CallerIdentity,
  formatTraceparent,
  type KernelClient,
  OstkRpcError,
  type RpcConnection,
  type RpcHandler,
  type TraceContext,
} from "@ostk/lib";

/** Who a run's calls are made as: the agent identity (with its session) and the run's trace. */
export interface RunCaller {
  identity: CallerIdentity;
  trace: TraceContext;
}

/**
 * How the orchestrator reaches the kernel. There is one code path: the
 * daemon's JSON-RPC handlers. `socketKernelPort` calls them over
 * `.ostk/ostk.sock` (`ostk run` as a client); `handlerKernelPort` calls the
 * very same handler map in-process (the orchestrator hosted by the daemon,
 * and tests). Either way each call carries `_meta.identity` and the run's
 * `traceparent`, so the kernel's decision chain, journal and telemetry see
 * the agent and its trace.
 */
export interface KernelPort {
  call(
    method: string,
    params: Record<string, unknown>,
    caller: RunCaller,
    signal?: AbortSignal,
  ): Promise<unknown>;
  close?(): Promise<void>;
}

function withMeta(params: Record<string, unknown>, caller: RunCaller): Record<string, unknown> {
  return { ...params, _meta: { identity: caller.identity, traceparent: formatTraceparent(caller.trace) } };
}

/** Over the daemon's socket. */
export function socketKernelPort(client: KernelClient, opts: { timeoutMs?: number } = {}): KernelPort {
  return {
    call: (method, params, caller, signal) =>
      client.call(method, withMeta(params, caller), { signal, timeoutMs: opts.timeoutMs ?? 15 * 60_000 }),
    close: () => client.close(),
  };
}

const detached: RpcConnection = {
  id: 0,
  closed: false,
  state: new Map(),
  notify() {},
  onClose() {},
  close() {},
};

/** In-process, through the daemon's handler map (the same functions `serveRpc` dispatches to). */
export function handlerKernelPort(handlers: Record<string, RpcHandler>): KernelPort {
  return {
    async call(method, params, caller, signal) {
      const h = handlers[method];
      if (!h) throw new OstkRpcError("MethodNotFound", `the kernel has no method ${method}`);
      const meta = { identity: caller.identity, traceparent: formatTraceparent(caller.trace) };
      return h(params, {
        identity: caller.identity,
        traceId: caller.trace.traceId,
        trace: caller.trace,
        meta,
        method,
        notify() {},
        signal: signal ?? new AbortController().signal,
        connection: detached,
      });
    },
  };
}
