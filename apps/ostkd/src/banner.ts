import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { kernelCliPath } from "./kernel-cli.js";
import type { Ostkd } from "./start-ostkd.js";

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function cacheCliPath(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve("@ostk/cache/package.json");
  const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { bin?: Record<string, string> };
  return join(dirname(pkgJson), pkg.bin?.["ostk-cache"] ?? "dist/cli.js");
}

/** Everything a user (or a script, with --json) needs to connect, as data. */
export function connectInfo(o: Ostkd, logDestination: string) {
  const node = process.execPath;
  const ostk = kernelCliPath();
  const mcpArgs = [ostk, "mcp", "-C", o.workspace];
  const cacheUrl = o.layers.cache.state === "running" ? String(o.layers.cache.detail.url) : null;
  return {
    workspace: o.workspace,
    ready_ms: Math.round(o.readyMs),
    pid: process.pid,
    log: logDestination,
    layers: o.layers,
    kernel_socket: o.layers.kernel.state === "running" ? o.layers.kernel.detail.socket : null,
    recall_socket: o.layers.recall.state === "running" ? o.layers.recall.detail.socket : null,
    proxy: cacheUrl,
    mcp: { command: node, args: mcpArgs },
    claude_mcp_add: `claude mcp add ostk -- ${[node, ...mcpArgs].map(q).join(" ")}`,
    anthropic_base_url: cacheUrl,
    openai_base_url: cacheUrl ? `${cacheUrl}/v1` : null,
    audit_log: `${q(node)} ${q(ostk)} audit log -C ${q(o.workspace)}`,
    cache_stats: `${q(node)} ${q(cacheCliPath())} stats --workspace ${q(o.workspace)}`,
  };
}

/** The human start-up report printed on stdout. */
export function banner(o: Ostkd, logDestination: string): string {
  const i = connectInfo(o, logDestination);
  // `ostk mcp` works with whichever kernel serves the workspace, ours or one started before us.
  const k = o.layers.kernel;
  const kernelServes =
    k.state === "running" || (k.state === "failed" && /another ostk daemon/.test(k.reason));
  const lines: string[] = [];
  lines.push(`ostkd is running for ${o.workspace} (ready in ${i.ready_ms} ms, pid ${process.pid})`, "");
  for (const [name, l] of Object.entries(o.layers)) {
    const label = name.padEnd(7);
    if (l.state === "running") {
      const d = l.detail;
      const what =
        name === "kernel"
          ? `socket ${d.socket}  (journal head ${d.head_seq})`
          : name === "recall"
            ? `socket ${d.socket}  (indexing in the background; follows ${d.follows})`
            : `proxy  ${d.url}  (mode ${d.mode} → ${d.upstream}; invalidation: ${d.invalidation})`;
      lines.push(`  ✓ ${label}${what}`);
    } else if (l.state === "failed") {
      lines.push(`  ✗ ${label}did not start: ${l.reason}`);
      if (l.hint) lines.push(`    ${" ".repeat(7)}${l.hint}`);
    } else lines.push(`  - ${label}not started (disabled by layers)`);
  }
  lines.push(`    log     ${i.log}`, "");
  if (kernelServes) {
    lines.push("Connect Claude Code (MCP tools go through the kernel, every change is journaled):");
    lines.push(`  ${i.claude_mcp_add}`);
  }
  if (i.proxy) lines.push(`  ANTHROPIC_BASE_URL=${i.proxy} claude`);
  lines.push("");
  if (kernelServes) {
    lines.push("Any MCP client (stdio transport):");
    lines.push(`  command: ${i.mcp.command}`);
    lines.push(`  args:    ${JSON.stringify(i.mcp.args)}`);
  }
  if (i.proxy) {
    lines.push("Any Anthropic / OpenAI SDK: point its base URL at the proxy:");
    lines.push(`  ANTHROPIC_BASE_URL=${i.anthropic_base_url}   OPENAI_BASE_URL=${i.openai_base_url}`);
  }
  lines.push("", "See what happened:");
  lines.push(`  ${i.audit_log}`);
  lines.push(`  ${i.cache_stats}`);
  lines.push("", "Ctrl-C stops everything gracefully (a second Ctrl-C forces).");
  return lines.join("\n");
}
