import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's `native/` directory (the sandbox launcher and the ostk-fastfs addon, built there at
 * install). Works from `src/` in tests and from `dist/` when built.
 */
export function nativeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "native", "build.mjs"))) return join(dir, "native");
    dir = dirname(dir);
  }
  throw new Error("@ostk/kernel: cannot find the package's native/ directory");
}
