import * as fs from "node:fs";
import * as path from "node:path";
import type { KernelCore } from "../core/kernel-core.js";
import { KERNEL_ACTOR } from "../core/types.js";

/**
 * At start: every tracked file whose stat differs from the generation table is re-read, and a
 * content change made while the kernel was down is journaled as external (gen + 1).
 */
export async function scanExternalChanges(core: KernelCore): Promise<number> {
  let changed = 0;
  for (const row of core.gens.all()) {
    const abs = path.join(core.ws.root, row.path);
    let st: fs.Stats | null = null;
    try {
      st = fs.lstatSync(abs);
    } catch {
      st = null;
    }
    if (row.sha256 === null && !st) continue;
    if (
      st &&
      row.sha256 !== null &&
      st.size === row.size &&
      st.ino === row.ino &&
      st.mtimeMs === row.mtime &&
      st.ctimeMs === row.ctime
    )
      continue;
    try {
      const before = row.gen;
      const obs = await core.observe(row.path, abs, { actor: KERNEL_ACTOR });
      if ((obs.row?.gen ?? before) !== before) changed++;
    } catch {
      /* unreadable now: the next access reports it */
    }
  }
  return changed;
}
