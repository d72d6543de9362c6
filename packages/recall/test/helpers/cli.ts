import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The CLI as installed: `pnpm --filter @ostk/recall build` first (the test script does). */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Run `ostk-recall <args>` in `cwd` (no OSTK_WORKSPACE from the outside); never rejects. */
export function runCli(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, OSTK_WORKSPACE: "" } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
