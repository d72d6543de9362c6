import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** What a sandboxed command may touch. Every field is optional; the defaults are closed. */
export interface SandboxPolicy {
  /** Paths the command may write: workspace-relative or absolute. Default: the workspace (`["."]`). */
  writable?: string[];
  /** Extra read-only paths (absolute), on top of the system paths and the workspace. */
  readable?: string[];
  /**
   * `"none"` (default): no IP sockets at all. An object: TCP only. `connect` entries are a port (any
   * host, Landlock ABI >= 4) or `"IP:port"` / `"[IPv6]:port"` (that address only: the launcher's supervisor
   * checks each connect and makes it itself). Nothing may listen unless a `bind` port is allowed.
   * `"open"`: unrestricted TCP and UDP.
   */
  network?: "none" | "open" | { connect?: (number | string)[]; bind?: number[] };
  /** Workspace-relative paths that must never be writable, on top of the built-in list. */
  protectedPaths?: string[];
  /** Absolute paths that must be neither readable nor writable (the signing-key directory…). */
  secretPaths?: string[];
  /** Extra environment variable names to pass through (secret-looking names are still dropped). */
  envAllow?: string[];
  /** Variables to set in the command's environment. */
  env?: Record<string, string>;
  /** Allow creating AF_UNIX sockets (pathname-socket connect is then not confined on Landlock ABI < 9). */
  allowUnixSockets?: boolean;
  /** Really change modes: chmod/fchmod (off by default they succeed without effect: Landlock does not confine them). */
  allowChmod?: boolean;
  /**
   * `"auto"` (default): where private mount namespaces work, protected paths are read-only bind mounts
   * (new files can be created anywhere, the workspace root included). `"never"`: Landlock rules only.
   */
  mountNamespace?: "auto" | "never";
  /** Files with several hard links inside writable paths are made read-only (default) or left writable. */
  hardlinks?: "protect" | "allow";
  limits?: SandboxLimits;
  /** Minimum Landlock ABI; the call is refused below it. Default 1 (4 when network rules are needed). */
  minLandlockAbi?: number;
  /**
   * The explicit, logged opt-out: run without a sandbox when the machine cannot enforce this policy.
   * Never set by default.
   */
  unconfined?: { reason: string };
}

export interface SandboxLimits {
  /** Processes (cgroup pids.max when a pids cgroup is writable, RLIMIT_NPROC otherwise). Default 256. */
  processes?: number;
  /** Largest file the command may write, bytes (RLIMIT_FSIZE). Default 1 GiB. */
  fileSizeBytes?: number;
  /** CPU seconds (RLIMIT_CPU). Default 600. */
  cpuSeconds?: number;
  /** Open files (RLIMIT_NOFILE). Default 4096. */
  openFiles?: number;
}

export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  processes: 256,
  fileSizeBytes: 1024 ** 3,
  cpuSeconds: 600,
  openFiles: 4096,
};

/** Read-only system paths (the reference allowlist). */
export const SYSTEM_READ_PATHS = [
  "/usr",
  "/lib",
  "/lib64",
  "/lib32",
  "/bin",
  "/sbin",
  "/etc",
  "/opt",
  "/proc",
];

/** Device files a command may read, write and ioctl. */
export const DEVICE_PATHS = [
  "/dev/null",
  "/dev/zero",
  "/dev/full",
  "/dev/random",
  "/dev/urandom",
  "/dev/tty",
];

/** System files that stay unreadable even though `/etc` is readable. */
export const SYSTEM_SECRET_PATHS = [
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/ssh",
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/ssl/private",
  "/etc/security/opasswd",
];

/** Shell start-up files and direnv: they only matter in a home directory or need a human's consent anyway. */
export const SHELL_STARTUP_PATHS = [
  ".envrc",
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  ".config/fish",
] as const;

/** Workspace-relative paths that are never writable by a command (governance, hooks, shell start-up files). */
export const PROTECTED_WORKSPACE_PATHS = [
  ".ostk",
  ".git/hooks",
  ".git/config",
  ".git/info",
  // files git follows to other hooks and config: a linked common dir, per-worktree config, submodule and
  // worktree git dirs (each with its own hooks/config)
  ".git/commondir",
  ".git/config.worktree",
  ".git/modules",
  ".git/worktrees",
  ...SHELL_STARTUP_PATHS,
];

/** Environment variables passed through by default (values are still screened for secrets). */
export const DEFAULT_ENV_ALLOW = [
  "PATH",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "TZ",
  "USER",
  "LOGNAME",
  "SHELL",
  "CI",
];

/**
 * Per-user secrets that are never readable in the sandbox, even when a policy makes their parent readable:
 * the ostk signing-key directory (same lookup as the kernel: OSTK_KEY_DIR, $XDG_CONFIG_HOME/ostk/keys,
 * ~/.config/ostk/keys) and the usual credential stores.
 */
export function defaultSecretPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const config = env.XDG_CONFIG_HOME || join(home, ".config");
  const keyDir = env.OSTK_KEY_DIR ? resolve(env.OSTK_KEY_DIR) : join(config, "ostk", "keys");
  return [
    keyDir,
    join(home, ".ssh"),
    join(home, ".gnupg"),
    join(home, ".aws"),
    join(home, ".azure"),
    join(home, ".kube"),
    join(home, ".docker"),
    join(home, ".netrc"),
    join(home, ".npmrc"),
    join(home, ".pypirc"),
    join(home, ".git-credentials"),
    join(config, "gh"),
    join(config, "gcloud"),
  ];
}
