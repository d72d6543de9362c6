import * as fs from "node:fs";
import * as path from "node:path";
import { KernelClient, OstkError } from "@ostk/lib";
import type { CliIo, Flags } from "./io.js";

/** The workspace: `-C/--workspace`, else the nearest parent holding `.ostk/`, else cwd. */
export function workspaceOf(flags: Flags, io: CliIo): string {
  if (typeof flags.workspace === "string") return path.resolve(io.cwd, flags.workspace);
  let dir = path.resolve(io.cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, ".ostk"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(io.cwd);
    dir = up;
  }
}

export function socketOf(workspace: string, flags: Flags, io: CliIo): string {
  if (typeof flags.socket === "string") return path.resolve(io.cwd, flags.socket);
  if (io.env.OSTK_SOCKET) return io.env.OSTK_SOCKET;
  return path.join(workspace, ".ostk", "ostk.sock");
}

/** Connect to the running daemon, or fail with a message that says how to start it. */
export async function connectKernel(
  workspace: string,
  flags: Flags,
  io: CliIo,
  id = "ostk-cli",
): Promise<KernelClient> {
  const socketPath = socketOf(workspace, flags, io);
  if (!fs.existsSync(socketPath)) {
    throw new OstkError(
      "DaemonNotRunning",
      `no kernel is running for ${workspace} (no ${socketPath}); start one with \`ostk daemon --detach\``,
    );
  }
  try {
    return await KernelClient.connect({
      socketPath,
      identity: { id: io.env.OSTK_ACTOR || id, kind: "human" },
      reconnect: false,
      timeoutMs: 60_000,
    });
  } catch (err) {
    throw new OstkError(
      "DaemonNotRunning",
      `the kernel socket ${socketPath} does not answer (${(err as Error).message}); start it with \`ostk daemon --detach\``,
    );
  }
}
