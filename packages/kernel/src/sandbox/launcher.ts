import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's `native/` directory (works from `src/sandbox/` in tests and from `dist/` when built). */
export function nativeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "native", "ostk-sandbox.c"))) return join(dir, "native");
    dir = dirname(dir);
  }
  throw new Error("ostk-sandbox: cannot find the native/ directory of @ostk/kernel");
}

export interface LauncherStatus {
  path: string | null;
  /** Why there is no launcher (no compiler, not Linux, build error). */
  reason?: string;
}

let cached: LauncherStatus | undefined;

function findCompiler(): string | null {
  for (const cc of [process.env.CC, "cc", "gcc", "clang"]) {
    if (!cc) continue;
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {}
  }
  return null;
}

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
  const cc = findCompiler();
  if (!cc) {
    return {
      path: null,
      reason:
        "the sandbox launcher is not built and no C compiler was found (tried $CC, cc, gcc, clang); " +
        "install gcc and run `node native/build.mjs` in @ostk/kernel",
    };
  }
  try {
    mkdirSync(join(dir, "build"), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    // Cheapest start-up first: static musl (no dynamic loader, no glibc CPU-feature probing on every
    // sandboxed spawn), then static, then dynamic with the system compiler.
    const triple = `${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;
    const attempts: [string, string[]][] = [
      ["musl-gcc", ["-O2", "-static", "-idirafter", "/usr/include", "-idirafter", `/usr/include/${triple}`]],
      [cc, ["-O2", "-Wall", "-static"]],
      [cc, ["-O2", "-Wall"]],
    ];
    let lastErr: unknown;
    for (const [compiler, flags] of attempts) {
      try {
        execFileSync(compiler, [...flags, "-o", tmp, source], { stdio: ["ignore", "ignore", "pipe"] });
        lastErr = undefined;
        break;
      } catch (err) {
        lastErr = err;
      }
    }
    if (lastErr) throw lastErr;
    renameSync(tmp, out);
    return { path: out };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      path: null,
      reason: `building the sandbox launcher failed: ${stderr || (err as Error).message}`,
    };
  }
}
