export { banner, connectInfo } from "./banner.js";
export {
  type CacheFlags,
  DEFAULTS,
  LAYERS,
  type LayerName,
  loadOstkdConfig,
  type OstkdConfig,
  type OstkdConfigResult,
  type OstkdFlags,
} from "./config.js";
export { ensureDemoWorkspace } from "./demo-workspace.js";
export { kernelCliPath } from "./kernel-cli.js";
export { createLogger, REDACT_PATHS } from "./logger.js";
export { HELP, main } from "./main.js";
export { recallFollowsKernel } from "./recall-follows-kernel.js";
export {
  anyRunning,
  type LayerState,
  type Ostkd,
  type StartOstkdOptions,
  startOstkd,
} from "./start-ostkd.js";
