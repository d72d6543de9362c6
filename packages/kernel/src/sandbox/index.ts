export { nativeDir } from "../util/native-dir.js";
export {
  type CompileInput,
  compileRules,
  findHardlinks,
  launcherArgs,
  parseHostPort,
  releasePlaceholders,
  type SandboxRules,
} from "./compile-rules.js";
export { type ExecCommandOptions, execCommand } from "./exec-command.js";
export {
  type ExecRecordEvent,
  type GovernedExecOptions,
  type GovernedExecOutcome,
  governedExec,
  shellQuote,
} from "./governed-exec.js";
export { ensureLauncher, type LauncherStatus } from "./launcher.js";
export { probeSandbox, type SandboxProbe } from "./probe.js";
export {
  type RunSandboxedOptions,
  runSandboxed,
  type SandboxLogger,
  type SandboxResult,
} from "./run-sandboxed.js";
export { buildSandboxEnv, isSecretEnv } from "./sandbox-env.js";
export {
  type SandboxCallContext,
  type SandboxMethod,
  type SandboxMethodsDeps,
  sandboxMethods,
} from "./sandbox-methods.js";
export {
  DEFAULT_ENV_ALLOW,
  DEFAULT_LIMITS,
  DEVICE_PATHS,
  defaultSecretPaths,
  PROTECTED_WORKSPACE_PATHS,
  type SandboxLimits,
  type SandboxPolicy,
  SYSTEM_READ_PATHS,
  SYSTEM_SECRET_PATHS,
} from "./sandbox-policy.js";
export { type SeatbeltInput, sbplString, seatbeltProfile } from "./seatbelt.js";
export {
  DEFAULT_SNAPSHOT_IGNORE,
  diffSnapshots,
  type FileStat,
  type SnapshotDiff,
  snapshotTree,
  type TreeSnapshot,
} from "./snapshot.js";
