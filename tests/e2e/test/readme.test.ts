import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtAll, OSTKD_CLI, REPO, startProc, TEST_KEY, tempRoot, useFakeUpstream } from "./helpers.js";

const README = readFileSync(join(REPO, "README.md"), "utf8");

/** The fenced block of `lang` that follows `after` in the README. */
function block(after: string, lang: string): string {
  const at = README.indexOf(after);
  if (at < 0) throw new Error(`README no longer says "${after}"`);
  const start = README.indexOf(`\`\`\`${lang}\n`, at);
  const end = README.indexOf("```", start + 4 + lang.length);
  return README.slice(start + 4 + lang.length, end);
}

describe.skipIf(!builtAll)("the README, as a newcomer follows it", () => {
  const root = tempRoot("ostk-readme-");
  const up = useFakeUpstream(root);

  it("the MCP SDK + Anthropic SDK snippet runs, and `ostk audit log` / `ostk-cache stats` show both calls", async () => {
    // A stand-in for the clone: the built packages, the demo workspace, and the SDKs installed.
    const clone = join(root.dir, "clone");
    mkdirSync(clone);
    symlinkSync(join(REPO, "packages"), join(clone, "packages"), "dir");
    symlinkSync(join(REPO, "tests", "e2e", "node_modules"), join(clone, "node_modules"), "dir");
    const ostkd = startProc(
      process.execPath,
      [
        OSTKD_CLI,
        join(clone, "demo-workspace"),
        "--demo",
        "--port",
        "0",
        "--upstream",
        up.fake.url,
        "--json",
      ],
      root.env,
    );
    try {
      const info = JSON.parse((await ostkd.waitFor(/^\{.*\}$/m, 60_000))[0]);
      const snippet = block("save this as `try-ostk.mjs`", "js").replaceAll(
        "http://127.0.0.1:8080",
        info.proxy,
      );
      writeFileSync(join(clone, "try-ostk.mjs"), snippet);
      const run = startProc(
        process.execPath,
        ["try-ostk.mjs"],
        { ...root.env, OSTK: clone, ANTHROPIC_API_KEY: TEST_KEY },
        clone,
      );
      const code = await Promise.race([run.exit, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      if (code !== 0) {
        await run.stop("SIGKILL");
        throw new Error(`try-ostk.mjs: ${code}\n${run.out}\n${run.err}`);
      }
      const out = run.out;
      expect(out).toContain("'edit'");
      expect(out).toContain("src/greet.ts: written");

      const commands = block("Then see both calls", "sh")
        .split("\n")
        .map((l) => l.replace(/#.*$/, "").trim())
        .filter(Boolean);
      expect(commands).toHaveLength(3);
      const [log, verify, stats] = commands.map((c) => {
        const [cmd, ...args] = c.split(/\s+/);
        expect(cmd).toBe("node");
        return execFileSync(process.execPath, args, {
          cwd: clone,
          env: root.env,
          encoding: "utf8",
          timeout: 60_000,
        });
      });
      expect(log).toMatch(/fs\.commit edit src\/greet\.ts gen \d+→\d+ by my-agent/);
      expect(verify).toMatch(/^journal ok/);
      expect(stats).toMatch(/requests\s+1 \(0 errors\)/);
    } finally {
      expect(await ostkd.stop()).toBe(0);
    }
  }, 120_000);
});
