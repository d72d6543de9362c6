import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { nativeDir } from "../util/native-dir.js";

export interface LauncherStatus {
  path: string | null;
  /** Why there is no launcher (no compiler, not Linux, build error). */
  reason?: string;
}

let cached: LauncherStatus | undefined;

/**
 * The launcher binary, built lazily into `native/build/` when missing or older than its source
 * (install normally builds it). Never throws: `path: null` with a reason when it cannot exist.
 */
export function ensureLauncher(opts: { refresh?: boolean; forceBuild?: boolean } = {}): LauncherStatus {
  if (cached && !opts.refresh && !opts.forceBuild) return cached;
  cached = buildOrFind(opts.forceBuild ?? false);
  return cached;
}

function buildOrFind(force: boolean): LauncherStatus {
  if (process.platform !== "linux") return { path: null, reason: `no Linux launcher on ${process.platform}` };
  if (process.env.OSTK_SANDBOX_LAUNCHER) {
    const p = process.env.OSTK_SANDBOX_LAUNCHER;
    return existsSync(p) ? { path: p } : { path: null, reason: `OSTK_SANDBOX_LAUNCHER=${p} does not exist` };
  }
  let dir: string;
  try {
    dir = nativeDir();
  } catch (err) {
    return { path: null, reason: (err as Error).message };
  }
  const source = join(dir, "ostk-sandbox.c");
  const out = join(dir, "build", "ostk-sandbox");
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return { path: out };
  // One build recipe: native/build.mjs, the same script install runs.
  try {
    execFileSync(
      process.execPath,
      [join(dir, "build.mjs"), "--launcher-only", ...(force ? ["--force"] : [])],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, OSTK_REQUIRE_SANDBOX: "1" },
      },
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      path: null,
      reason: stderr || `building the sandbox launcher failed: ${(err as Error).message}`,
    };
  }
  return existsSync(out) ? { path: out } : { path: null, reason: "native/build.mjs produced no launcher" };
}
