import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { KernelClient } from "@ostk/lib";
import { ensureKey } from "../../daemon/keys.js";
import { createMcpBridge } from "../../mcp/mcp-bridge.js";
import type { CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";
import { spawnDaemon } from "./daemon.js";

export const mcpHelp = `Usage: ostk mcp [-C <dir>]

An MCP server on stdio (the "System ABI"): tools read, write, edit, ls, glob, grep and bash,
forwarded to the workspace's kernel daemon (started in the background if it is not running),
journaled under the MCP client's name. Add it to Claude Code with:

  claude mcp add ostk -- npx ostk mcp`;

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

export async function mcp({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(mcpHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const sock = path.join(workspace, ".ostk", "ostk.sock");
  const server = createMcpBridge({
    bash: io.env.OSTK_MCP_BASH !== "0",
    async connect(client) {
      if (!fs.existsSync(sock) || !(await answers(sock))) {
        if (!fs.existsSync(path.join(workspace, ".ostk"))) {
          fs.mkdirSync(path.join(workspace, ".ostk"), { recursive: true, mode: 0o700 });
          ensureKey();
        }
        io.err(`ostk mcp: starting the kernel daemon for ${workspace}`);
        await spawnDaemon(workspace, io.env);
      }
      const id = client.name || "mcp-client";
      const k = await KernelClient.connect({
        socketPath: sock,
        identity: { id, kind: "mcp", name: `${id}/${client.version ?? ""}` },
        reconnect: true,
      });
      await k.negotiate({ pins: [] }, { label: `mcp:${id}/${client.version ?? ""}` });
      return k;
    },
  });
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
  });
  return 0;
}
