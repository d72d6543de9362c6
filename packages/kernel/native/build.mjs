#!/usr/bin/env node
// Builds the sandbox launcher (native/build/ostk-sandbox) with the system C compiler, and the
// ostk-fastfs Node-API addon (native/build/ostk-fastfs.node: atomic file exchange for the write path).
// Runs at install time (package.json "install"); the launcher also lazily on first use by
// src/sandbox/launcher.ts. On macOS nothing is built: the kernel uses sandbox-exec with a generated
// Seatbelt profile, and rename(2) to replace files.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { homedir } from "node:os";
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
  let used = cc;
  for (const [compiler, flags] of attempts) {
    try {
      execFileSync(compiler, [...flags, "-o", tmp, source], { stdio: ["ignore", "ignore", "pipe"] });
      lastErr = undefined;
      used = `${compiler} ${flags.includes("-static") ? "(static)" : "(dynamic)"}`;
      break;
    } catch (err) {
      lastErr = err;
    }
  }
  if (lastErr) throw lastErr;
  renameSync(tmp, out);
  return { built: true, path: out, reason: `built with ${used}` };
}

const fastfsSource = join(here, "ostk-fastfs.c");
const fastfsOut = join(outDir, "ostk-fastfs.node");

/** Node's C headers: npm's nodedir, the install prefix of this node, node-gyp's download cache. */
function nodeHeaders() {
  const v = process.versions.node;
  const dirs = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
    join(dirname(dirname(process.execPath)), "include", "node"),
    join(homedir(), ".cache", "node-gyp", v, "include", "node"),
    "/usr/include/node",
  ].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, "node_api.h"))) ?? null;
}

/**
 * The ostk-fastfs addon. Optional: without it the kernel replaces files with rename(2), which is as
 * atomic but slower on ext4. Returns why it was not built instead of throwing.
 */
export function buildFastfs({ force = false } = {}) {
  if (process.platform !== "linux") return { built: false, path: null, reason: "not Linux" };
  if (!force && existsSync(fastfsOut) && statSync(fastfsOut).mtimeMs >= statSync(fastfsSource).mtimeMs) {
    return { built: false, path: fastfsOut, reason: "up to date" };
  }
  const cc = findCompiler();
  if (!cc) return { built: false, path: null, reason: "no C compiler" };
  const headers = nodeHeaders();
  if (!headers) return { built: false, path: null, reason: "Node's C headers (node_api.h) not found" };
  mkdirSync(outDir, { recursive: true });
  const tmp = `${fastfsOut}.${process.pid}.tmp`;
  try {
    execFileSync(cc, ["-O2", "-Wall", "-shared", "-fPIC", "-I", headers, "-o", tmp, fastfsSource], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (err) {
    return { built: false, path: null, reason: `${cc} failed: ${String(err.stderr ?? err).trim()}` };
  }
  renameSync(tmp, fastfsOut);
  return { built: true, path: fastfsOut, reason: `built with ${cc}` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes("--force");
  try {
    const r = buildLauncher({ force });
    if (r.path) process.stderr.write(`ostk-sandbox: ${r.reason} → ${r.path}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    // Do not fail the whole install: `ostk boot` reports the missing launcher and bash is refused.
    process.exitCode = process.env.OSTK_REQUIRE_SANDBOX === "1" ? 1 : 0;
  }
  if (!process.argv.includes("--launcher-only")) {
    const f = buildFastfs({ force });
    process.stderr.write(
      f.path
        ? `ostk-fastfs: ${f.reason} → ${f.path}\n`
        : `ostk-fastfs: not built (${f.reason}); files are replaced with rename(2), which is slower on ext4\n`,
    );
  }
}
