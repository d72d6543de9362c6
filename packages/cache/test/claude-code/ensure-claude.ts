// Finds, or installs with npm, the Claude Code native binary for the opt-in test
// (`pnpm --filter @ostk/cache test:claude`). It is ~245 MB, so it lives in a cache directory outside
// the repository and is never part of the default test run.
//   OSTK_CLAUDE_BIN=/path/to/claude     use this binary, install nothing
//   OSTK_CLAUDE_CODE_DIR=/some/dir      install into this directory (default ~/.cache/ostk/claude-code)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The Claude Code line the test was written against (npm range). */
export const CLAUDE_CODE_RANGE = "2.1";

export function claudeCodeDir(): string {
  return (
    process.env.OSTK_CLAUDE_CODE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ostk", "claude-code")
  );
}

/** The platform package that ships the native binary (the `@anthropic-ai/claude-code` shim needs Node 22). */
export function platformPackage(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === "linux" && !report?.header?.glibcVersionRuntime;
  return `@anthropic-ai/claude-code-${process.platform}-${process.arch}${musl ? "-musl" : ""}`;
}

export function claudeBinaryPath(): string {
  if (process.env.OSTK_CLAUDE_BIN) return process.env.OSTK_CLAUDE_BIN;
  const exe = process.platform === "win32" ? "claude.exe" : "claude";
  return join(claudeCodeDir(), "node_modules", platformPackage(), exe);
}

/** The binary's path, installing it first (npm registry, into `claudeCodeDir()`) when it is missing. */
export function ensureClaudeCode(log: (s: string) => void = () => {}): string {
  const bin = claudeBinaryPath();
  if (existsSync(bin)) return bin;
  if (process.env.OSTK_CLAUDE_BIN) throw new Error(`OSTK_CLAUDE_BIN=${bin} does not exist`);
  const dir = claudeCodeDir();
  const spec = `${platformPackage()}@${CLAUDE_CODE_RANGE}`;
  log(`installing ${spec} (~245 MB) into ${dir}\n`);
  mkdirSync(dir, { recursive: true });
  execFileSync("npm", ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", spec], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (!existsSync(bin))
    throw new Error(`npm installed ${spec} but ${bin} is missing; set OSTK_CLAUDE_BIN to a claude binary`);
  return bin;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bin = ensureClaudeCode((s) => process.stderr.write(s));
  const version = execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  process.stderr.write(`claude: ${bin} (${version.trim()})\n`);
}
