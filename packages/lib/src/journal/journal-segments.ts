import { nodeModule } from "../util/node.js";
import { type JournalSeal, SEALS_DIR } from "./entry.js";
import { sha256Hex } from "./hash.js";
import type { JournalSegment } from "./verify.js";

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Reads the sealed epochs and the live file from disk (Node only). */
export function readJournalSegments(path: string, sealsDir?: string | null): JournalSegment[] {
  const fs = nodeModule("node:fs");
  const p = nodeModule("node:path");
  const dir = sealsDir === undefined ? p.join(p.dirname(path), SEALS_DIR) : sealsDir;
  const segments: JournalSegment[] = [];
  if (dir && fs.existsSync(dir)) {
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^epoch-\d+\.jsonl$/.test(f))
      .sort();
    for (const f of files) {
      const epoch = Number(/^epoch-(\d+)/.exec(f)?.[1]);
      const bytes = fs.readFileSync(p.join(dir, f));
      const sealPath = p.join(dir, f.replace(/\.jsonl$/, ".seal.json"));
      const seal = fs.existsSync(sealPath)
        ? (JSON.parse(fs.readFileSync(sealPath, "utf8")) as JournalSeal)
        : undefined;
      segments.push({
        epoch,
        file: p.join(dir, f),
        lines: splitLines(bytes.toString("utf8")),
        sha256: sha256Hex(bytes),
        seal,
      });
    }
  }
  const live = fs.existsSync(path) ? fs.readFileSync(path, "utf8") : "";
  segments.push({ epoch: 0, file: path, lines: splitLines(live) });
  return segments;
}
