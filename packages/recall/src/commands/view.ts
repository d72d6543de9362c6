import { openRecall } from "../recall.js";
import { type Args, findWorkspace, intFlag, UsageError } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

/** `view <chunk-id>` or `view <path>[:start[-end]]`. */
export async function viewCommand(args: Args): Promise<number> {
  const target = args.positional[0];
  if (!target)
    throw new UsageError("usage: ostk-recall view <chunk-id | path[:start[-end]]> [--context N] [--json]");
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    const context = intFlag(args.flags, "context", 0);
    const m = /^(.*?):(\d+)(?:-(\d+))?$/.exec(target);
    const req = /^[0-9a-f]{24}$/.test(target)
      ? { id: target, context }
      : m
        ? { path: m[1], startLine: Number(m[2]), endLine: m[3] ? Number(m[3]) : Number(m[2]), context }
        : { path: target, context };
    const v = await recall.view(req);
    if (args.flags.json) process.stdout.write(`${JSON.stringify(v)}\n`);
    else {
      process.stdout.write(`${v.path}:${v.startLine}-${v.endLine}${v.symbol ? `  ${v.symbol}` : ""}\n`);
      v.text.split("\n").forEach((l, i) => {
        process.stdout.write(`${String(v.startLine + i).padStart(6)}  ${l}\n`);
      });
    }
    return 0;
  } finally {
    await recall.close();
  }
}
