import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { KernelClient } from "@ostk/lib";
import Database from "better-sqlite3";
import { ApprovalStore, approvalsCommand, approveCommand, denyCommand } from "../../approvals/index.js";
import { CliError, type CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";
import { spawnDaemon } from "./daemon.js";

export const execHelp = `Usage: ostk exec [--timeout <ms>] [--json] -- <command> [args...]
       ostk approvals [--all] [--json]
       ostk approve <id> [--reason <note>]
       ostk deny <id> [--reason <note>]

exec      runs the command through the daemon's bash syscall: the decision chain (pin hard deny →
          risky/destructive → approval → session allow-list → pin), then the OS sandbox with the
          workspace as cwd; output streams; files it changed are journaled under your name.
          Exit: the command's code, 124 timeout, 125 sandbox unavailable, 126 refused.
approvals lists pending approval requests; approve/deny decide one (a denied or expired request never runs).`;

function answers(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(sock);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function exec({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help || !args.length) {
    io.out(execHelp);
    return flags.help ? 0 : 2;
  }
  const workspace = workspaceOf(flags, io);
  const sock = path.join(workspace, ".ostk", "ostk.sock");
  if (!fs.existsSync(sock) || !(await answers(sock))) await spawnDaemon(workspace, io.env);
  const client = await KernelClient.connect({
    socketPath: sock,
    identity: { id: io.env.OSTK_ACTOR || "ostk-cli", kind: "human" },
    reconnect: false,
    timeoutMs: 3_700_000,
  });
  const command =
    args.length === 1
      ? args[0]
      : args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(" ");
  const offOut = client.rpc.onNotification("exec/output", (p: { stream: string; chunk: string }) => {
    if (!flags.json) (p.stream === "stderr" ? process.stderr : process.stdout).write(p.chunk);
  });
  const offPending = client.rpc.onNotification("approval/pending", (p: { id: string; reason: string }) => {
    io.err(
      `ostk exec: ${p.reason} — waiting for approval: run \`ostk approve ${p.id}\` (or \`ostk deny ${p.id}\`)`,
    );
  });
  try {
    const params: Record<string, unknown> = { command };
    if (typeof flags.timeout === "string") params.timeoutMs = Number(flags.timeout);
    const r = (await client.call("exec", params)) as {
      exitCode: number | null;
      timedOut: boolean;
      signal: string | null;
    };
    if (flags.json) io.out(JSON.stringify(r));
    if (r.timedOut) return 124;
    return r.exitCode ?? 137;
  } catch (err) {
    const e = err as { kind?: string; message?: string };
    if (e.kind === "SandboxUnavailable") {
      io.err(`ostk exec: ${e.message}; nothing was run`);
      return 125;
    }
    if (e.kind === "PolicyDenied" || e.kind === "ApprovalDenied") {
      io.err(`ostk exec: ${e.message}; nothing was run`);
      return 126;
    }
    throw err;
  } finally {
    offOut();
    offPending();
    await client.close();
  }
}

function withStore<T>(workspace: string, fn: (store: ApprovalStore) => Promise<T>): Promise<T> {
  const file = path.join(workspace, ".ostk", "sessions.db");
  if (!fs.existsSync(file)) throw new CliError(`no ${file} yet: the daemon has not run in this workspace`, 1);
  const db = new Database(file);
  db.pragma("busy_timeout = 5000");
  return fn(new ApprovalStore(db)).finally(() => db.close());
}

export async function approvals({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) return help(io);
  return withStore(workspaceOf(flags, io), (store) =>
    approvalsCommand({ store, json: flags.json === true, all: flags.all === true }),
  );
}

export async function approve({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help || !args[0]) return help(io, !flags.help);
  const note = typeof flags.reason === "string" ? flags.reason : undefined;
  return withStore(workspaceOf(flags, io), (store) =>
    approveCommand(args[0], { store, json: flags.json === true, note }),
  );
}

export async function deny({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help || !args[0]) return help(io, !flags.help);
  const note = typeof flags.reason === "string" ? flags.reason : undefined;
  return withStore(workspaceOf(flags, io), (store) =>
    denyCommand(args[0], { store, json: flags.json === true, note }),
  );
}

function help(io: CommandArgs["io"], usageError = false): number {
  io.out(execHelp);
  return usageError ? 2 : 0;
}
