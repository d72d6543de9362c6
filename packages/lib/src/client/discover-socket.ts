import { OstkError } from "../errors.js";
import { env, nodeModule } from "../util/node.js";

/**
 * Finds `.ostk/<name>` by walking up from `cwd`; `envVar` (e.g. OSTK_SOCKET)
 * overrides. Returns undefined when there is none.
 */
export function findSocket(name: string, opts: { cwd?: string; envVar?: string } = {}): string | undefined {
  const override = opts.envVar ? env(opts.envVar) : undefined;
  if (override) return override;
  const fs = nodeModule("node:fs");
  const path = nodeModule("node:path");
  let dir = path.resolve(opts.cwd ?? (globalThis as { process?: { cwd(): string } }).process?.cwd() ?? ".");
  for (;;) {
    const candidate = path.join(dir, ".ostk", name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The kernel socket: `OSTK_SOCKET`, else the nearest `.ostk/ostk.sock` above `cwd`. */
export function findKernelSocket(cwd?: string): string | undefined {
  return findSocket("ostk.sock", { cwd, envVar: "OSTK_SOCKET" });
}

/** The recall socket: `OSTK_RECALL_SOCKET`, else the nearest `.ostk/recall.sock` above `cwd`. */
export function findRecallSocket(cwd?: string): string | undefined {
  return findSocket("recall.sock", { cwd, envVar: "OSTK_RECALL_SOCKET" });
}

export function requireSocket(found: string | undefined, what: string, cwd: string | undefined): string {
  if (found) return found;
  throw new OstkError(
    "SocketNotFound",
    `no ${what} socket found from ${cwd ?? "the current directory"} upwards; start the daemon (\`ostk daemon\`) in the workspace or set the socket path explicitly`,
  );
}
