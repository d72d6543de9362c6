import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { kernelCliPath } from "./kernel-cli.js";
import type { Logger } from "./logger.js";

/**
 * `ostk init` when the workspace has no `.ostk/config.toml` or default pin yet (same code path as a
 * user running it): creates them and the user's signing key outside the workspace. Idempotent.
 */
export async function initWorkspace(workspace: string, logger: Logger): Promise<void> {
  const ostk = join(workspace, ".ostk");
  if (existsSync(join(ostk, "config.toml")) && existsSync(join(ostk, "pins", "default", "pin.caps"))) return;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [kernelCliPath(), "init", "-C", workspace, "--json"],
    { env: process.env, timeout: 30_000 },
  );
  logger.info({ init: JSON.parse(stdout.trim().split("\n").pop() ?? "{}") }, "workspace initialised");
}
