import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Absolute path of the installed `ostk` CLI (the kernel package's `bin`). */
export function kernelCliPath(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve("@ostk/kernel/package.json");
  const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { bin?: Record<string, string> | string };
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin?.ostk ?? "dist/cli.js");
  return join(dirname(pkgJson), bin);
}
