import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureLauncher } from "./launcher.js";

export interface SandboxProbe {
  available: boolean;
  platform: NodeJS.Platform;
  /** "landlock" on Linux, "seatbelt" on macOS, null when nothing can enforce a policy. */
  mechanism: "landlock" | "seatbelt" | null;
  /** Highest Landlock ABI the running kernel offers (0 = none / not Linux). */
  landlockAbi: number;
  /** Exactly the protections that are active for a sandboxed call on this machine. */
  protections: string[];
  /** Protections this machine cannot give (named like `protections`), with why. */
  missing: { protection: string; reason: string }[];
  /** A writable pids cgroup is used for the process limit and to find every descendant. */
  pidsCgroup: boolean;
  /** Private mount namespaces work: protected paths are read-only bind mounts (new top-level files allowed). */
  mountNamespace: boolean;
  launcherPath: string | null;
  /** Why the sandbox is not available. */
  reason?: string;
}

interface LauncherProbe {
  ok: boolean;
  landlockAbi: number;
  seccomp: boolean;
  noNewPrivs: boolean;
  subreaper: boolean;
  cgroupPids: boolean;
  mountNamespace?: boolean;
  error: string;
}

let cached: SandboxProbe | undefined;

/** What this machine can enforce. Cached per process; `{ refresh: true }` probes again. */
export function probeSandbox(opts: { refresh?: boolean } = {}): SandboxProbe {
  if (cached && !opts.refresh) return cached;
  cached = process.platform === "darwin" ? probeSeatbelt() : probeLinux();
  return cached;
}

function probeSeatbelt(): SandboxProbe {
  const ok = existsSync("/usr/bin/sandbox-exec");
  return {
    available: ok,
    platform: process.platform,
    mechanism: ok ? "seatbelt" : null,
    landlockAbi: 0,
    protections: ok
      ? ["seatbelt.fs", "seatbelt.network", "session", "env.allowlist", "process-group-kill"]
      : [],
    missing: ok ? [] : [{ protection: "seatbelt", reason: "/usr/bin/sandbox-exec not found" }],
    pidsCgroup: false,
    mountNamespace: false,
    launcherPath: ok ? "/usr/bin/sandbox-exec" : null,
    reason: ok ? undefined : "sandbox-exec is not available on this Mac",
  };
}

function probeLinux(): SandboxProbe {
  const base: SandboxProbe = {
    available: false,
    platform: process.platform,
    mechanism: null,
    landlockAbi: 0,
    protections: [],
    missing: [],
    pidsCgroup: false,
    mountNamespace: false,
    launcherPath: null,
  };
  if (process.platform !== "linux") return { ...base, reason: `no sandbox for ${process.platform}` };
  const launcher = ensureLauncher();
  if (!launcher.path) return { ...base, reason: launcher.reason };
  let probe: LauncherProbe;
  try {
    const out = execFileSync(launcher.path, ["--probe"], { encoding: "utf8", timeout: 10_000 });
    probe = JSON.parse(out) as LauncherProbe;
  } catch (err) {
    const out = (err as { stdout?: string }).stdout;
    try {
      probe = JSON.parse(out ?? "") as LauncherProbe;
    } catch {
      return {
        ...base,
        launcherPath: launcher.path,
        reason: `the launcher probe failed: ${(err as Error).message}`,
      };
    }
  }
  const abi = probe.landlockAbi;
  const on: string[] = [];
  const missing: SandboxProbe["missing"] = [];
  const need = (cond: boolean, name: string, why: string) => {
    if (cond) on.push(name);
    else missing.push({ protection: name, reason: why });
  };
  need(abi >= 1, "landlock.fs", "Landlock is not enabled in this kernel");
  need(abi >= 2, "landlock.fs.refer", "needs Landlock ABI 2 (links/renames across directories)");
  need(abi >= 3, "landlock.fs.truncate", "needs Landlock ABI 3");
  need(abi >= 4, "landlock.net.tcp", "needs Landlock ABI 4 (TCP bind/connect port rules)");
  need(abi >= 5, "landlock.fs.ioctl_dev", "needs Landlock ABI 5");
  need(abi >= 6, "landlock.scope.abstract_unix", "needs Landlock ABI 6");
  need(abi >= 6, "landlock.scope.signal", "needs Landlock ABI 6");
  need(probe.ok && probe.seccomp, "seccomp", probe.error || "seccomp filter could not be installed");
  need(probe.ok && probe.noNewPrivs, "no_new_privs", probe.error || "no_new_privs failed");
  if (probe.ok) {
    on.push("seccomp.sockets", "seccomp.metadata-noop", "capabilities.dropped", "session", "close_fds");
    on.push("env.allowlist", "rlimits", "private-tmp");
  }
  need(probe.subreaper, "subreaper", "PR_SET_CHILD_SUBREAPER failed");
  need(
    probe.mountNamespace === true,
    "mount-namespace.ro-binds",
    "no private mount namespace: protected paths are carved out of the Landlock rules instead, so no new files or directories can be created directly in a directory that holds a protected name, existing or not (the workspace root holds .ostk and the pin's Agentfile: `touch NEWFILE` there is refused; existing files stay writable)",
  );
  need(probe.cgroupPids, "cgroup.pids", "no writable pids cgroup (process limit falls back to RLIMIT_NPROC)");
  if (!probe.cgroupPids && process.getuid?.() === 0) {
    missing.push({
      protection: "process-limit",
      reason:
        "running as root without a writable pids cgroup: RLIMIT_NPROC does not bind root, so only the timeout stops a fork bomb",
    });
  }
  const available = probe.ok && abi >= 1;
  return {
    available,
    platform: process.platform,
    mechanism: available ? "landlock" : null,
    landlockAbi: abi,
    protections: on,
    missing,
    pidsCgroup: probe.cgroupPids,
    mountNamespace: probe.mountNamespace === true,
    launcherPath: launcher.path,
    reason: available ? undefined : probe.error || "Landlock is not available in this kernel",
  };
}
