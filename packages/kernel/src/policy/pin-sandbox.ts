import picomatch from "picomatch";
import type { SandboxPolicy } from "../sandbox/sandbox-policy.js";
import { PIN_TOKENS, type Pin } from "./pin-caps.js";

/** The static directory a glob starts from (`src/**` → `src`, `**` → ``). */
function globBase(glob: string): string {
  return picomatch.scan(glob).base.replace(/\/$/, "");
}

/**
 * The sandbox policy a pin implies for shell commands: writable = the static bases of its write globs,
 * protected = the bases of its deny-paths and deny tokens (Landlock works on directory trees, so globs are
 * widened to their base for reads and narrowed to it for writes' protection).
 */
export function pinSandboxPolicy(pin: Pin, base: SandboxPolicy = {}): SandboxPolicy {
  const writable = [...new Set(pin.write.map(globBase).map((b) => b || "."))];
  const protectedPaths = new Set<string>(base.protectedPaths ?? []);
  for (const g of pin.denyPaths) {
    const b = globBase(g);
    if (b) protectedPaths.add(b);
  }
  for (const t of pin.deny) {
    for (const g of PIN_TOKENS[t]) {
      const b = globBase(g);
      if (b && !b.includes("*")) protectedPaths.add(b);
    }
  }
  return { ...base, writable: pin.write.length > 0 ? writable : [], protectedPaths: [...protectedPaths] };
}
