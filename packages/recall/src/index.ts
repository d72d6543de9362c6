export {
  DEFAULT_CONFIG,
  loadConfig,
  loadRecallLayers,
  RECALL_CONFIG_SPEC,
  type RecallConfig,
} from "./config.js";
export type { Embedder } from "./embed/embedder.js";
export { HashEmbedder } from "./embed/hash-embedder.js";
export { OnnxEmbedder } from "./embed/onnx-embedder.js";
export { StaticEmbedder } from "./embed/static-embedder.js";
export type { ScanProgress, ScanReport } from "./indexer.js";
export type { Logger } from "./logger.js";
export type { Hit, SearchOptions, SearchResult } from "./query/search.js";
export {
  type OpenRecallOptions,
  openRecall,
  Recall,
  RecallError,
  type RecallStatus,
  type ViewRequest,
  type ViewResult,
} from "./recall.js";
export { type RecallSocket, serveSocket } from "./watch/socket-server.js";
export type { WatchStatus } from "./watch/watcher.js";
