import { openRecall } from "../recall.js";
import { type Args, findWorkspace } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

export async function statusCommand(args: Args): Promise<number> {
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    const s = await recall.status();
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    const lines = [
      `workspace   ${s.workspace}`,
      `index       ${s.dataDir}`,
      `files       ${s.files}`,
      `chunks      ${s.chunks} (vectors ${s.vectors}, ${s.vectorIndex})`,
      `embedder    ${s.embedder.description}`,
      `reranker    ${s.reranker.description}`,
      ...s.sources.map((src) => {
        const name = `source ${src.name}`.padEnd(18);
        if (!src.enabled) return `${name}off`;
        const extra =
          src.name === "journal"
            ? src.cursor && !Array.isArray(src.cursor)
              ? `, read to seq ${src.cursor.lastSeq} (byte ${src.cursor.offset})`
              : ", nothing read yet"
            : src.name === "transcript"
              ? `, ${src.files ?? 0} transcript files followed`
              : "";
        return `${name}${src.chunks} chunks${extra}`;
      }),
      `last scan   ${s.lastScan ? `${new Date(s.lastScan.at).toISOString()} (${s.lastScan.files} files, ${s.lastScan.ms} ms)` : "never"}`,
      `health      ${s.health}${s.healthNotes.length ? ` — ${s.healthNotes.join("; ")}` : ""}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } finally {
    await recall.close();
  }
}
