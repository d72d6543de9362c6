#!/usr/bin/env node
import { SERVE_HELP } from "./commands/serve-help";

const HELP = `ostk-cache — a local Anthropic/OpenAI proxy that makes the provider's prompt cache hit

Commands:
  ostk-cache [serve] [options]   start the proxy (default)
  ostk-cache stats [options]     summarise the ledger
  ostk-cache help

${SERVE_HELP}`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (cmd === "stats") {
    const { stats } = await import("./commands/stats");
    await stats(rest);
    return 0;
  }
  const { serve } = await import("./commands/serve");
  await serve(cmd === "serve" ? rest : argv);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: Error & { code?: string }) => {
    const usage = err.code?.startsWith("ERR_PARSE_ARGS") || err.code === "ConfigInvalid";
    process.stderr.write(`ostk-cache: ${err.message}\n`);
    if (err.message.includes("EADDRINUSE"))
      process.stderr.write("The port is taken: pass --port <n> or stop the other process.\n");
    process.exitCode = usage ? 2 : 1;
  },
);
