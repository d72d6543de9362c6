export { findKernelSocket, findRecallSocket, findSocket } from "./discover-socket.js";
export {
  type JournalSubscription,
  KernelClient,
  type KernelClientOptions,
  type SubscribeOptions,
} from "./kernel-client.js";
export { type ParamsOf, RecallClient, type RecallClientOptions, type ResultOf } from "./recall-client.js";
