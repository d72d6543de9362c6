#!/usr/bin/env node
import { type Args, parseArgs, UsageError } from "./commands/args.js";
import { RecallError } from "./errors.js";

// LanceDB's native logger writes to stderr; keep it to errors unless asked (set before lancedb loads)
process.env.LANCEDB_LOG ??= "error";

const HELP = `ostk-recall — local hybrid search over your workspace (BM25 + vectors + rerank)

usage:
  ostk-recall scan [dir]                 index the workspace (or a directory), with progress
  ostk-recall search "<query>" [--json] [--limit N] [--bm25-only]
        [--source code,docs,transcript,journal]   default code,docs,transcript
        [--path src/ | 'src/**/*.ts']   a prefix, or a glob
        [--lang L] [--since 2h|7d|2026-11-20] [--until T]
  ostk-recall view <id | path[:a-b]>     show a hit or a line range [--context N] [--json]
  ostk-recall status [--json]            counts per source with cursors, embedder, reranker, last scan, health
  ostk-recall watch                      keep the index current (watcher + .ostk/recall.sock triggers)
  ostk-recall serve [--no-watch]         socket server (JSON-RPC + triggers on .ostk/recall.sock)
  ostk-recall eval <queries.jsonl> [--k 10] [--json]   Recall@k and MRR@10 for your labelled queries
  ostk-recall config [--json]            effective settings and where each came from
  ostk-recall --stdio                    MCP server over stdio

options: -C, --workspace <dir>   (default: nearest ancestor with .ostk/, else the current directory)
`;

const COMMANDS: Record<string, () => Promise<{ run: (a: Args) => Promise<number> }>> = {
  scan: async () => ({ run: (await import("./commands/scan.js")).scanCommand }),
  search: async () => ({ run: (await import("./commands/search.js")).searchCommand }),
  view: async () => ({ run: (await import("./commands/view.js")).viewCommand }),
  status: async () => ({ run: (await import("./commands/status.js")).statusCommand }),
  watch: async () => ({ run: (await import("./commands/serve.js")).serveCommand }),
  serve: async () => ({ run: (await import("./commands/serve.js")).serveCommand }),
  eval: async () => ({ run: (await import("./commands/eval.js")).evalCommand }),
  mcp: async () => ({ run: (await import("./commands/mcp.js")).mcpCommand }),
  config: async () => ({ run: (await import("./commands/config.js")).configCommand }),
};

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === "help" || args.flags.help) {
    process.stdout.write(HELP);
    return args.command === "help" && !args.flags.help && argv.length > 0 ? 2 : 0;
  }
  const load = COMMANDS[args.command];
  if (!load) {
    process.stderr.write(`ostk-recall: unknown command ${args.command}\n\n${HELP}`);
    return 2;
  }
  try {
    return await (await load()).run(args);
  } catch (err) {
    // bad arguments: a usage error, or a request recall refused (bad filter, range, id or path)
    if (err instanceof UsageError || err instanceof RecallError) {
      process.stderr.write(`ostk-recall: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(
      `ostk-recall ${args.command} failed: ${(err as Error).message}\nThe index was left as it was; run \`ostk-recall status\` to check it.\n`,
    );
    if (process.env.OSTK_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ostk-recall: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
