import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readLedger, summarize } from "../ledger/summarize";

export const STATS_HELP = `ostk-cache stats [--window 24h] [--json | --csv] [--workspace <dir>]

Summarises .ostk/memory/ledger.jsonl: requests, prompt-cache hit rate, response-cache hits,
billed cost against the same tokens uncached, and the net saving (which can be negative).
`;

const usd = (n: number) => `$${n.toFixed(4)}`;
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

export async function stats(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      window: { type: "string", default: "24h" },
      json: { type: "boolean" },
      csv: { type: "boolean" },
      workspace: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(STATS_HELP);
    return;
  }
  const path = join(resolve(values.workspace ?? process.cwd()), ".ostk", "memory", "ledger.jsonl");
  const s = summarize(readLedger(path), values.window);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  if (values.csv) {
    process.stdout.write("model,requests,cost_usd,uncached_cost_usd,net_saving_usd\n");
    for (const [model, m] of Object.entries(s.by_model))
      process.stdout.write(
        `${model},${m.requests},${m.cost_usd.toFixed(6)},${m.uncached_cost_usd.toFixed(6)},${(m.uncached_cost_usd - m.cost_usd).toFixed(6)}\n`,
      );
    return;
  }
  const lines = [
    `ostk-cache stats — last ${s.window} (${path})`,
    `  requests              ${s.requests} (${s.errors} errors)`,
    `  prompt-cache hit rate ${pct(s.prompt_cache_hit_rate)} of ${s.input_tokens + s.cache_read_tokens + s.cache_write_tokens} prompt tokens`,
    `  response-cache hits   ${s.response_cache_hits} (${pct(s.response_cache_hit_rate)})`,
    `  billed                ${usd(s.cost_usd)}`,
    `  same tokens uncached  ${usd(s.uncached_cost_usd)}`,
    `  net saving            ${usd(s.net_saving_usd)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
