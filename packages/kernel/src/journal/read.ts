import * as fs from "node:fs";
import * as path from "node:path";
import { JOURNAL_FILE, type JournalEntry, SEALS_DIR, sealFileName } from "@ostk/lib";
import { listSeals } from "./journal.js";

/** The journal's files in chain order: sealed epochs, then the live file. */
export function journalFiles(stateDir: string): { epoch: number; file: string }[] {
  const sealsDir = path.join(stateDir, SEALS_DIR);
  const files = listSeals(sealsDir).map((epoch) => ({
    epoch,
    file: path.join(sealsDir, sealFileName(epoch)),
  }));
  files.push({ epoch: 0, file: path.join(stateDir, JOURNAL_FILE) });
  return files;
}

/** Every parseable entry, in order, across epochs (lines that do not parse are skipped). */
export function* readEntries(stateDir: string, opts: { afterSeq?: number } = {}): Generator<JournalEntry> {
  const after = opts.afterSeq ?? 0;
  for (const { file } of journalFiles(stateDir)) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      let e: JournalEntry;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof e.seq === "number" && e.seq > after) yield e;
    }
  }
}

export interface JournalQuery {
  sinceSeq?: number;
  sinceTs?: number;
  path?: string;
  actor?: string;
  events?: string[];
  limit?: number;
}

/** Entries matching a query (path matches exactly or as a directory prefix; actor matches id). */
export function queryEntries(stateDir: string, q: JournalQuery): JournalEntry[] {
  const out: JournalEntry[] = [];
  const limit = q.limit ?? 1000;
  for (const e of readEntries(stateDir, { afterSeq: q.sinceSeq ?? 0 })) {
    if (q.sinceTs !== undefined && e.ts < q.sinceTs) continue;
    if (q.path !== undefined) {
      const to = typeof e.data?.to === "string" ? e.data.to : undefined;
      const hit = (p?: string) => p !== undefined && (p === q.path || p.startsWith(`${q.path}/`));
      if (!hit(e.path) && !hit(to)) continue;
    }
    if (q.actor !== undefined && e.actor?.id !== q.actor) continue;
    if (q.events && !q.events.includes(e.event)) continue;
    out.push(e);
  }
  return out.length > limit ? out.slice(out.length - limit) : out;
}
