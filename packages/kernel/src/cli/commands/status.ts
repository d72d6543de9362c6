import * as path from "node:path";
import type { CommandArgs } from "../io.js";
import { connectKernel, workspaceOf } from "../workspace.js";

export const statusHelp = `Usage: ostk status [--json]   daemon pid, journal head, tracked files, connections
       ostk ps [--json]       sessions (client, calls, last seen, the process that opened each)`;

export async function status({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(statusHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const client = await connectKernel(workspace, flags, io);
  try {
    const s = (await client.call("kernel/status", {})) as Record<string, unknown>;
    if (flags.json) io.out(JSON.stringify(s));
    else {
      io.out(`kernel    pid ${s.pid}, up ${Math.round(Number(s.uptime_ms) / 1000)} s, version ${s.version}`);
      io.out(`workspace ${s.workspace}`);
      io.out(`journal   head seq ${s.head_seq} (durable ${s.durable_seq}), key ${s.key_id}`);
      io.out(`files     ${s.tracked_files} tracked`);
      io.out(`clients   ${s.connections} connection(s), ${s.in_flight} call(s) in flight`);
    }
  } finally {
    await client.close();
  }
  return 0;
}

export async function ps({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(statusHelp);
    return 0;
  }
  const client = await connectKernel(workspaceOf(flags, io), flags, io);
  try {
    const { sessions } = (await client.call("session/list", { active: !flags.all })) as {
      sessions: {
        id: string;
        client: string;
        kind: string;
        tool_calls: number;
        last_seen: number;
        active: boolean;
        peer?: { pid: number; exe?: string };
      }[];
    };
    if (flags.json) io.out(JSON.stringify(sessions));
    else if (!sessions.length) io.out("no sessions");
    else {
      io.out("SESSION   CLIENT                KIND     CALLS  LAST SEEN  PROCESS");
      for (const s of sessions) {
        const proc = s.peer ? `${s.peer.pid} ${path.basename(s.peer.exe ?? "?")}` : "-";
        io.out(
          `${s.id.slice(0, 8)}  ${s.client.slice(0, 20).padEnd(20)}  ${s.kind.padEnd(7)}  ${String(s.tool_calls).padStart(5)}  ${`${Math.round((Date.now() - s.last_seen) / 1000)}s ago`.padEnd(9)}  ${proc}`,
        );
      }
    }
  } finally {
    await client.close();
  }
  return 0;
}
