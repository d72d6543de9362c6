#!/usr/bin/env node
// Builds the sandbox launcher (native/build/ostk-sandbox) with the system C compiler.
// Runs at install time (package.json "install") and lazily on first use by src/sandbox/launcher.ts.
// On macOS nothing is built: the kernel uses sandbox-exec with a generated Seatbelt profile.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "ostk-sandbox.c");
const outDir = join(here, "build");
const out = join(outDir, "ostk-sandbox");

function findCompiler() {
  const candidates = [process.env.CC, "cc", "gcc", "clang"].filter(Boolean);
  for (const cc of candidates) {
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {}
  }
  return null;
}

export function buildLauncher({ force = false } = {}) {
  if (process.platform !== "linux")
    return { built: false, path: null, reason: "not Linux (macOS uses sandbox-exec)" };
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) {
    return { built: false, path: out, reason: "up to date" };
  }
  const cc = findCompiler();
  if (!cc) {
    throw new Error(
      "ostk: no C compiler found (tried $CC, cc, gcc, clang), so the sandbox launcher could not be built. " +
        "Shell commands will be refused (SandboxUnavailable) until it exists. " +
        "Install one (Debian/Ubuntu: apt-get install gcc; Fedora: dnf install gcc) and run " +
        "`node node_modules/@ostk/kernel/native/build.mjs`.",
    );
  }
  mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  // Cheapest start-up first: static musl (no dynamic loader, no glibc CPU-feature probing on every
  // sandboxed spawn), then static, then dynamic with the system compiler.
  const attempts = [
    [
      "musl-gcc",
      [
        "-O2",
        "-static",
        "-idirafter",
        "/usr/include",
        "-idirafter",
        `/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
      ],
    ],
    [cc, ["-O2", "-Wall", "-static"]],
    [cc, ["-O2", "-Wall"]],
  ];
  let lastErr;
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
  return { built: true, path: out, reason: `built with ${cc}` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const r = buildLauncher({ force: process.argv.includes("--force") });
    if (r.path) process.stderr.write(`ostk-sandbox: ${r.reason} → ${r.path}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    // Do not fail the whole install: `ostk boot` reports the missing launcher and bash is refused.
    process.exitCode = process.env.OSTK_REQUIRE_SANDBOX === "1" ? 1 : 0;
  }
}
