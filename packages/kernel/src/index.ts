// The sandbox, policy and approval layers (built alongside the kernel core).
export * from "./approvals/index.js";
export { KernelCore, type KernelCoreOptions, type Observed } from "./core/kernel-core.js";
export type { RecoveredIntent } from "./core/recovery.js";
export { type CallContext, EXTERNAL_ACTOR, KERNEL_ACTOR } from "./core/types.js";
export { AnchorLock, type LockOwner, readLockOwner } from "./daemon/anchor-lock.js";
export { DEFAULT_CONFIG, type KernelConfig, loadConfig } from "./daemon/config.js";
export { kernelExtensions } from "./daemon/extensions.js";
export type { KernelCallContext, KernelMethod } from "./daemon/handlers.js";
export {
  defaultKeyDir,
  ensureKey,
  KEY_FILE,
  type KeyInfo,
  keyInfo,
  loadSigner,
  rotateKey,
  trustedKeys,
} from "./daemon/keys.js";
export {
  actorOf,
  KERNEL_VERSION,
  type KernelHandle,
  type StartKernelOptions,
  startKernel,
} from "./daemon/start-kernel.js";
export type { SubscriptionFilter } from "./daemon/subscriptions.js";
export { Journal, type JournalOptions } from "./journal/journal.js";
export { ObjectStore } from "./journal/objects.js";
export { type JournalQuery, queryEntries, readEntries } from "./journal/read.js";
export { type VerifyResult, verifyJournalDir } from "./journal/verify.js";
export { createMcpBridge, type KernelCaller, type McpBridgeOptions } from "./mcp/mcp-bridge.js";
export { type GenRow, GenTable } from "./occ/gen-table.js";
export { canMergeEdit, diffLines, MERGE_DISTANCE } from "./occ/merge.js";
export * from "./policy/index.js";
export * from "./sandbox/index.js";
export { SessionsDb } from "./store/sessions-db.js";
export { TelemetryDb } from "./store/telemetry-db.js";
export { isProtected, Workspace } from "./workspace/confine.js";
