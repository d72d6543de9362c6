import { nodeModule } from "../util/node.js";
import { fileKey } from "./tail-cursor.js";

export interface Candidate {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeNs: bigint;
  /** Creation time when the filesystem records it, else mtime. */
  bornNs: bigint;
}

/**
 * Files a rotation may have moved the followed file to: siblings whose name
 * starts with the file's name (`journal.jsonl.1`, `journal.jsonl-20240101`…) and
 * files with the same extension in the extra rotation directories
 * (`.ostk/journal-seals/epoch-000001.jsonl`).
 */
export function rotationCandidates(path: string, rotatedDirs: string[]): Candidate[] {
  const fs = nodeModule("node:fs");
  const p = nodeModule("node:path");
  const dir = p.dirname(path);
  const base = p.basename(path);
  const ext = p.extname(path);
  const out: Candidate[] = [];
  const scan = (d: string, accept: (name: string) => boolean) => {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      if (!accept(name)) continue;
      const full = p.join(d, name);
      try {
        const st = fs.statSync(full, { bigint: true });
        if (!st.isFile()) continue;
        out.push({
          path: full,
          dev: Number(st.dev),
          ino: Number(st.ino),
          size: Number(st.size),
          mtimeNs: st.mtimeNs,
          bornNs: st.birthtimeNs > 0n ? st.birthtimeNs : st.mtimeNs,
        });
      } catch {}
    }
  };
  scan(dir, (n) => n !== base && n.startsWith(base));
  for (const d of rotatedDirs)
    if (p.resolve(d) !== p.resolve(dir)) scan(d, (n) => ext === "" || n.endsWith(ext));
  const seen = new Set<string>();
  return out
    .filter((c) => {
      const k = fileKey(c.dev, c.ino);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) =>
      a.bornNs < b.bornNs
        ? -1
        : a.bornNs > b.bornNs
          ? 1
          : a.mtimeNs < b.mtimeNs
            ? -1
            : a.mtimeNs > b.mtimeNs
              ? 1
              : 0,
    );
}
