export * from "./client/index.js";
export * from "./config/index.js";
export * from "./envelope/index.js";
export * from "./errors.js";
export * from "./integration/index.js";
// The journal module's hand-written types win over the generated ones of the same name (same shapes).
export type {
  ActorKind,
  JournalActor,
  JournalCheckpoint,
  JournalEntry,
  JournalPeer,
} from "./journal/index.js";
export * from "./journal/index.js";
export * from "./prices.js";
export * from "./protocol/index.js";
export * from "./redact/index.js";
export * from "./rpc/index.js";
export * from "./tail/index.js";
// The trace module's TraceContext is the one to use (same shape as the protocol schema).
export type { TraceContext } from "./trace/index.js";
export * from "./trace/index.js";
export { AsyncQueue } from "./util/async-queue.js";
export type { Logger } from "./util/logger.js";
export { onStopSignals, type StopSignalOptions } from "./util/stop-signals.js";
