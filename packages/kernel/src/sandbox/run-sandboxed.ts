import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { constants as osConstants, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { OstkRpcError } from "@ostk/lib";
import { compileRules, launcherArgs, releasePlaceholders } from "./compile-rules.js";
import { probeSandbox } from "./probe.js";
import { buildSandboxEnv } from "./sandbox-env.js";
import { DEFAULT_ENV_ALLOW, type SandboxPolicy } from "./sandbox-policy.js";
import { seatbeltProfile } from "./seatbelt.js";

export interface SandboxLogger {
  warn?(obj: Record<string, unknown>, msg?: string): void;
  info?(obj: Record<string, unknown>, msg?: string): void;
  debug?(obj: Record<string, unknown>, msg?: string): void;
}

export interface RunSandboxedOptions {
  workspace: string;
  /** A shell command line (run with `/bin/sh -c`) or an argv. */
  command: string | string[];
  policy?: SandboxPolicy;
  /** Working directory, relative to the workspace (default: the workspace). */
  cwd?: string;
  /** Default 120 s. On timeout every process the call started is killed. */
  timeoutMs?: number;
  /** Per stream; output beyond it is dropped and `truncated` is set. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Variables set in the command's environment (on top of the allowlisted ones). */
  env?: Record<string, string>;
  stdin?: string | Buffer;
  onOutput?(chunk: Buffer, stream: "stdout" | "stderr"): void;
  signal?: AbortSignal;
  logger?: SandboxLogger;
}

export interface SandboxResult {
  /** The command's exit code, or null when it was killed by a signal. */
  exitCode: number | null;
  /** The signal that ended the command (`"SIGKILL"`…), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** False only when the explicit `unconfined` opt-out was used. */
  sandboxed: boolean;
  /**
   * Protected names under `.git/` that did not exist, could not be bind-mounted, and were created by the
   * command: removed after it ended (all its processes are gone by then). Empty normally.
   */
  removedProtected: string[];
}

const KILL_GRACE_MS = 2_000;
const LAUNCHER_FAILURES = new Set([110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121]);

/**
 * Run one command confined by the sandbox, with the workspace as cwd. Refuses with SandboxUnavailable
 * when the machine cannot enforce the policy (unless `policy.unconfined` is set, which is logged).
 * On timeout or cancel, and when the command exits, nothing it started survives.
 */
export async function runSandboxed(opts: RunSandboxedOptions): Promise<SandboxResult> {
  const policy = opts.policy ?? {};
  const workspace = realpathSync(resolve(opts.workspace));
  const cwd = opts.cwd ? resolve(workspace, opts.cwd) : workspace;
  if (cwd !== workspace && !cwd.startsWith(`${workspace}/`)) {
    throw new OstkRpcError("PathOutsideWorkspace", `cwd ${opts.cwd} is outside the workspace`);
  }
  const argv = typeof opts.command === "string" ? ["/bin/sh", "-c", opts.command] : opts.command;
  if (argv.length === 0) throw new OstkRpcError("InvalidParams", "empty command");

  const probe = probeSandbox();
  const net = policy.network ?? "none";
  let refusal: string | undefined;
  if (!probe.available) refusal = probe.reason ?? "no sandbox on this machine";
  else if (probe.mechanism === "landlock" && typeof net === "object" && probe.landlockAbi < 4) {
    refusal = `TCP port rules need Landlock ABI 4, this kernel offers ${probe.landlockAbi}`;
  } else if (probe.mechanism === "landlock" && probe.landlockAbi < (policy.minLandlockAbi ?? 1)) {
    refusal = `the policy needs Landlock ABI ${policy.minLandlockAbi}, this kernel offers ${probe.landlockAbi}`;
  }
  if (refusal) {
    if (!policy.unconfined) {
      throw new OstkRpcError(
        "SandboxUnavailable",
        `refusing to run the command: ${refusal}. Nothing was run. Fix the sandbox (see \`ostk boot\`) or set an explicit unconfined opt-out.`,
        { reason: refusal, protections: probe.protections, missing: probe.missing },
      );
    }
    opts.logger?.warn?.(
      { reason: refusal, optOut: policy.unconfined.reason, command: argv[0] },
      "running a command UNCONFINED by explicit opt-out",
    );
    return runProcess(
      opts,
      argv,
      { file: argv[0]!, args: argv.slice(1), cwd, env: plainEnv(opts, policy) },
      false,
    );
  }

  const tmpDir = mkdtempSync(join(tmpdir(), "ostk-sb-"));
  let placeholders: string[] = [];
  try {
    const home = tmpDir;
    const env = buildSandboxEnv(process.env, [...DEFAULT_ENV_ALLOW, ...(policy.envAllow ?? [])], {
      HOME: home,
      TMPDIR: tmpDir,
      PWD: cwd,
      ...(policy.env ?? {}),
      ...(opts.env ?? {}),
    });
    if (probe.mechanism === "seatbelt") {
      const profile = seatbeltProfile({ workspace, policy, tmpDir, extraRead: extraRead() });
      return await runProcess(
        opts,
        argv,
        { file: "/usr/bin/sandbox-exec", args: ["-p", profile, ...argv], cwd, env },
        true,
      );
    }
    const rules = compileRules({
      workspace,
      policy,
      tmpDir,
      extraRead: extraRead(),
      mountNamespace: probe.mountNamespace && policy.mountNamespace !== "never",
    });
    placeholders = rules.placeholders;
    if (!probe.pidsCgroup) rules.limits.processes += countUserProcesses();
    const args = [
      ...launcherArgs(rules, { cwd, env, statusFd: 3, usePidsCgroup: probe.pidsCgroup }),
      "--",
      ...argv,
    ];
    // A repository the command creates itself (no .git before) is its own; an existing one is guarded.
    const guardGit = lexists(join(workspace, ".git"));
    const result = await runProcess(
      opts,
      argv,
      { file: probe.launcherPath!, args, cwd, env: {}, launcher: true },
      true,
    );
    for (const p of rules.unprotected) {
      if (!guardGit || !p.startsWith(`${workspace}/.git/`) || !lexists(p)) continue;
      rmSync(p, { recursive: true, force: true });
      result.removedProtected.push(p.slice(workspace.length + 1));
    }
    if (result.removedProtected.length > 0) {
      opts.logger?.warn?.(
        { removed: result.removedProtected },
        "removed protected git files the command created",
      );
    }
    return result;
  } finally {
    // Every process of the call is gone by now (its mount namespace with it): the placeholders can go.
    releasePlaceholders(placeholders);
    // Removing the directory need not delay the result.
    void rm(tmpDir, { recursive: true, force: true }).catch(() => {});
  }
}

function plainEnv(opts: RunSandboxedOptions, policy: SandboxPolicy): Record<string, string> {
  return buildSandboxEnv(process.env, [...DEFAULT_ENV_ALLOW, "HOME", "TMPDIR", ...(policy.envAllow ?? [])], {
    ...(policy.env ?? {}),
    ...(opts.env ?? {}),
  });
}

/** Read-only paths the kernel adds: the Node installation when it lives outside the system paths. */
function extraRead(): string[] {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return prefix.startsWith("/usr") ? [] : [prefix];
}

/** Processes of this uid (RLIMIT_NPROC counts them all, so the limit is added on top). */
function countUserProcesses(): number {
  const uid = process.getuid?.() ?? -1;
  let n = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid === uid) n++;
    } catch {}
  }
  return n;
}

interface SpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The ostk launcher: status lines on fd 3, kills the tree itself on SIGTERM. */
  launcher?: boolean;
}

function runProcess(
  opts: RunSandboxedOptions,
  argv: string[],
  spec: SpawnSpec,
  sandboxed: boolean,
): Promise<SandboxResult> {
  const started = performance.now();
  const max = opts.maxOutputBytes ?? 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolvePromise, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["pipe", "pipe", "pipe", ...(spec.launcher ? (["pipe"] as const) : [])],
        // Without the launcher the command gets its own process group so it can be killed as one.
        detached: !spec.launcher,
      });
    } catch (err) {
      reject(err);
      return;
    }
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], size: { stdout: 0, stderr: 0 } };
    let truncated = false;
    let timedOut = false;
    let cancelled = false;
    let status = "";
    let cgroupDir: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const collect = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      opts.onOutput?.(chunk, stream);
      const room = max - out.size[stream];
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part.length < chunk.length) truncated = true;
      out[stream].push(part);
      out.size[stream] += part.length;
    };
    child.stdout!.on("data", collect("stdout"));
    child.stderr!.on("data", collect("stderr"));
    const statusStream = spec.launcher ? (child.stdio[3] as NodeJS.ReadableStream | null) : null;
    statusStream?.on("data", (b: Buffer) => {
      status += b.toString("utf8");
      const m = /^cgroup(?:-left)? (.+)$/m.exec(status);
      if (m) cgroupDir = m[1];
    });
    child.stdin!.on("error", () => {});
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    else child.stdin!.end();

    const killTree = (why: "timeout" | "cancel") => {
      if (why === "timeout") timedOut = true;
      else cancelled = true;
      if (spec.launcher) {
        child.kill("SIGTERM"); // the launcher kills every descendant, then exits
        killTimer = setTimeout(() => {
          child.kill("SIGKILL");
          killCgroup(cgroupDir);
        }, KILL_GRACE_MS);
      } else if (child.pid) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
    };
    const timer = setTimeout(() => killTree("timeout"), timeoutMs);
    const onAbort = () => killTree("cancel");
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (spec.launcher) killCgroup(cgroupDir);
      else if (child.pid) {
        try {
          process.kill(-child.pid, "SIGKILL"); // background processes of an unconfined command
        } catch {}
      }
      const durationMs = performance.now() - started;
      let exitCode: number | null = code;
      let signal: string | null = sig;
      if (spec.launcher) {
        const fail = /^fail (\d+) (\S+) ?(.*)$/m.exec(status);
        if (fail && LAUNCHER_FAILURES.has(Number(fail[1]))) {
          reject(
            new OstkRpcError(
              "SandboxUnavailable",
              `the sandbox could not be applied (${fail[2]}: ${fail[3]}); the command was not run`,
              { launcherExit: Number(fail[1]), kind: fail[2], detail: fail[3] },
            ),
          );
          return;
        }
        const ex = /^exit (\d+)$/m.exec(status);
        const sg = /^signal (\d+)$/m.exec(status);
        if (sg) {
          exitCode = null;
          signal = signalName(Number(sg[1]));
        } else if (ex) {
          exitCode = Number(ex[1]);
          signal = null;
        } else if (fail) {
          exitCode = Number(fail[1]);
          signal = null;
        }
      }
      if (timedOut || cancelled) {
        exitCode = null;
        signal = signal ?? "SIGKILL";
      }
      resolvePromise({
        exitCode,
        signal,
        stdout: Buffer.concat(out.stdout).toString("utf8"),
        stderr: Buffer.concat(out.stderr).toString("utf8"),
        truncated,
        timedOut,
        cancelled,
        durationMs,
        sandboxed,
        removedProtected: [],
      });
    });
    void argv;
  });
}

function signalName(n: number): string {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name;
  return `SIG${n}`;
}

/** Backstop when the launcher itself was killed: kill what is left in its pids cgroup and remove it. */
function killCgroup(dir: string | undefined): void {
  if (!dir || !existsSync(dir)) return;
  for (let round = 0; round < 50; round++) {
    let pids: string[] = [];
    try {
      pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    } catch {
      break;
    }
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {}
    }
  }
  removeCgroupDir(dir, 0);
}

/** cgroup v1 releases an emptied group asynchronously: retry rmdir in the background for a while. */
function removeCgroupDir(dir: string, attempt: number): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EBUSY" && attempt < 50) setTimeout(() => removeCgroupDir(dir, attempt + 1), 20).unref();
  }
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
