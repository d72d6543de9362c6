export { DEFAULT_MAX_FRAME_BYTES, type Frame, LineDecoder } from "./line-decoder.js";
export { attachMeta, splitMeta, traceOf } from "./meta.js";
export { type CallOptions, type ReconnectOptions, RpcClient, type RpcClientOptions } from "./rpc-client.js";
export {
  type RpcConnection,
  type RpcHandler,
  type RpcHandlerContext,
  type RpcServer,
  type ServeRpcOptions,
  serveRpc,
} from "./serve-rpc.js";
