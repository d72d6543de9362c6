import type { ScanProgress } from "../indexer.js";
import { openRecall } from "../recall.js";
import type { Args } from "./args.js";
import { findWorkspace } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

function bar(p: ScanProgress): string {
  if (!p.total) return `${p.phase} ${p.done} files…`;
  const w = 30;
  const f = Math.round((p.done / p.total) * w);
  return `${p.phase} [${"#".repeat(f)}${".".repeat(w - f)}] ${p.done}/${p.total}`;
}

export async function scanCommand(args: Args): Promise<number> {
  const workspace = findWorkspace(args.flags);
  const recall = await openRecall({ workspace, logger: stderrLogger() });
  try {
    const tty = process.stderr.isTTY && !args.flags.json;
    const r = await recall.scan({
      dir: args.positional[0],
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${bar(p).padEnd(70)}`);
      },
    });
    if (tty) process.stderr.write("\n");
    if (args.flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `Indexed ${r.files} files in ${workspace} (${r.changedFiles} changed, ${r.removedFiles} removed, ${r.skipped} skipped): +${r.chunksAdded} / -${r.chunksRemoved} chunks${r.events ? `, ${r.events} new journal events` : ""}${r.exchanges ? `, ${r.exchanges} new transcript exchanges` : ""} in ${r.ms} ms\n`,
      );
    return 0;
  } finally {
    await recall.close();
  }
}
