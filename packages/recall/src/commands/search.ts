import { openRecall } from "../recall.js";
import { type Args, findWorkspace, intFlag, UsageError } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

export async function searchCommand(args: Args): Promise<number> {
  const query = args.positional.join(" ").trim();
  if (!query)
    throw new UsageError('usage: ostk-recall search "<query>" [--limit N] [--path P] [--lang L] [--json]');
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    const r = await recall.search(query, {
      limit: intFlag(args.flags, "limit", 10),
      path: typeof args.flags.path === "string" ? args.flags.path : undefined,
      lang: typeof args.flags.lang === "string" ? args.flags.lang : undefined,
      lanes: args.flags["bm25-only"] ? ["bm25"] : undefined,
    });
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    if (!r.hits.length) process.stdout.write("No hits. Is the workspace indexed? Run `ostk-recall scan`.\n");
    for (const [i, h] of r.hits.entries()) {
      process.stdout.write(
        `${i + 1}. ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? `  ${h.symbol}` : ""}  [${h.score} ${h.lanes.join("+")}]  ${h.id}\n`,
      );
      for (const l of h.snippet.split("\n").slice(0, 4)) process.stdout.write(`     ${l}\n`);
    }
    process.stderr.write(`${r.hits.length} hits in ${r.tookMs} ms\n`);
    return 0;
  } finally {
    await recall.close();
  }
}
