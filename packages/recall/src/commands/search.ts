import { openRecall } from "../recall.js";
import type { SourceName } from "../store/filter.js";
import { type Args, findWorkspace, intFlag, UsageError } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

export async function searchCommand(args: Args): Promise<number> {
  const query = args.positional.join(" ").trim();
  if (!query)
    throw new UsageError(
      'usage: ostk-recall search "<query>" [--json] [--limit N] [--source code,docs,transcript,journal] [--path P|GLOB] [--lang L] [--since 2h|ISO] [--until T] [--bm25-only]',
    );
  const str = (name: string) => {
    const v = args.flags[name];
    if (v === true) throw new UsageError(`--${name} needs a value`);
    return v === undefined ? undefined : String(v);
  };
  const source = str("source")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean) as SourceName[] | undefined;
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    const r = await recall.search(query, {
      limit: intFlag(args.flags, "limit", 10),
      path: str("path"),
      lang: str("lang"),
      source,
      since: str("since"),
      until: str("until"),
      lanes: args.flags["bm25-only"] ? ["bm25"] : undefined,
    });
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    if (!r.hits.length) process.stdout.write("No hits. Is the workspace indexed? Run `ostk-recall scan`.\n");
    for (const [i, h] of r.hits.entries()) {
      process.stdout.write(
        `${i + 1}. ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? `  ${h.symbol}` : ""}  [${h.score}${h.crossScore === undefined ? "" : ` ce ${h.crossScore}`} ${h.lanes.join("+")}${h.source === "code" || h.source === "docs" ? "" : ` ${h.source} ${h.time ?? ""}`}]  ${h.id}\n`,
      );
      for (const l of h.snippet.split("\n").slice(0, 4)) process.stdout.write(`     ${l}\n`);
    }
    for (const w of r.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`${r.hits.length} hits in ${r.tookMs} ms\n`);
    return 0;
  } finally {
    await recall.close();
  }
}
