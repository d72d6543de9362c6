import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { onStopSignals } from "@ostk/lib";
import { readLockOwner } from "../../daemon/anchor-lock.js";
import { kernelExtensions } from "../../daemon/extensions.js";
import { startKernel } from "../../daemon/start-kernel.js";
import { CliError, type CommandArgs } from "../io.js";
import { connectKernel, socketOf, workspaceOf } from "../workspace.js";

export const daemonHelp = `Usage: ostk daemon [--detach] [-C <dir>]
       ostk daemon stop | status [--json]

Runs the kernel for the workspace in the foreground (logs as JSON lines on stderr), serving
.ostk/ostk.sock (mode 0600) and holding .ostk/anchor.lock. --detach starts it in the background
(log: .ostk/daemon.log) and returns once the socket answers. SIGTERM/SIGINT stop it gracefully:
no new calls, in-flight calls finish, the journal is flushed, fsynced and checkpointed.`;

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Path of this package's CLI entry (dist/cli.js when built). */
export function cliEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const p of [
    path.join(here, "cli.js"),
    path.join(here, "..", "cli.js"),
    path.join(here, "../../cli.js"),
  ]) {
    if (fs.existsSync(p)) return p;
  }
  throw new CliError("cannot find the ostk CLI entry (dist/cli.js); build the package first");
}

/** Start a detached daemon for `workspace` and wait until its socket answers. */
export async function spawnDaemon(
  workspace: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 15_000,
): Promise<number> {
  const stateDir = path.join(workspace, ".ostk");
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const log = fs.openSync(path.join(stateDir, "daemon.log"), "a", 0o600);
  const child = spawn(process.execPath, [cliEntry(), "daemon", "-C", workspace], {
    detached: true,
    stdio: ["ignore", log, log],
    env,
  });
  fs.closeSync(log);
  child.unref();
  const sock = path.join(stateDir, "ostk.sock");
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once("exit", (code) => {
    exited = code ?? 1;
  });
  while (Date.now() < deadline) {
    if (exited !== null)
      throw new CliError(`the daemon exited with code ${exited}; see ${path.join(stateDir, "daemon.log")}`);
    if (fs.existsSync(sock) && (await canConnect(sock))) return child.pid ?? 0;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new CliError(`the daemon did not answer on ${sock} within ${timeoutMs} ms; see .ostk/daemon.log`, 5);
}

export async function daemon({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(daemonHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const sub = args[0];
  const lockFile = path.join(workspace, ".ostk", "anchor.lock");
  if (sub === "status") {
    const sock = socketOf(workspace, flags, io);
    if (!fs.existsSync(sock) || !(await canConnect(sock))) {
      if (flags.json) io.out(JSON.stringify({ running: false, workspace }));
      else io.out(`not running (${workspace})`);
      return 5;
    }
    const client = await connectKernel(workspace, flags, io);
    const st = await client.call("kernel/status", {});
    await client.close();
    if (flags.json) io.out(JSON.stringify({ running: true, ...(st as object) }));
    else {
      const s = st as Record<string, unknown>;
      io.out(
        `running pid ${s.pid}, workspace ${s.workspace}, journal head ${s.head_seq}, ${s.connections} connection(s)`,
      );
    }
    return 0;
  }
  if (sub === "stop") {
    const owner = readLockOwner(lockFile);
    if (!owner) {
      io.out("not running");
      return 0;
    }
    try {
      process.kill(owner.pid, "SIGTERM");
    } catch {
      io.out(`not running (stale lock for pid ${owner.pid} is replaced on next start)`);
      return 0;
    }
    const deadline = Date.now() + 20_000;
    while (fs.existsSync(lockFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (fs.existsSync(lockFile)) throw new CliError(`pid ${owner.pid} did not stop within 20 s`, 1);
    io.out(`stopped pid ${owner.pid}`);
    return 0;
  }
  if (sub !== undefined) throw new CliError(`unknown daemon subcommand "${sub}"\n\n${daemonHelp}`, 2);
  if (flags.detach) {
    const pid = await spawnDaemon(workspace, io.env);
    io.out(flags.json ? JSON.stringify({ pid, workspace }) : `daemon started (pid ${pid}) for ${workspace}`);
    return 0;
  }
  return runForeground(workspace);
}

async function runForeground(workspace: string): Promise<number> {
  process.env.UV_THREADPOOL_SIZE ??= "16";
  const { default: pino } = await import("pino");
  const logger = pino(
    { level: process.env.OSTK_LOG_LEVEL ?? "info", redact: ["*.content", "*.new_str", "*.old_str", "*.env"] },
    pino.destination(2),
  );
  const k = await startKernel({ workspace, logger, extend: kernelExtensions });
  return new Promise<number>((resolve) => {
    onStopSignals({
      stop: (signal) => {
        logger.info({ signal }, "stopping");
        k.close().then(
          () => resolve(0),
          (err) => {
            logger.error({ err }, "shutdown failed");
            resolve(1);
          },
        );
      },
      force: (signal) => {
        logger.warn(
          { signal },
          "second signal: exiting now; recovery finishes open intents at the next start",
        );
        process.exit(130);
      },
    });
  });
}
