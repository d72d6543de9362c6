import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../src/testing/index";
import { ANTHROPIC_KEY } from "./helpers";

const cli = join(__dirname, "../../dist/cli.js");
let up: FakeUpstream;
let ws: string;
beforeAll(async () => {
  if (!existsSync(cli)) spawnSync("pnpm", ["build"], { cwd: join(__dirname, "../.."), stdio: "ignore" });
  up = await startFakeUpstream();
  ws = mkdtempSync(join(tmpdir(), "ostk-cache-cli-"));
});
afterAll(async () => {
  await up.close();
  rmSync(ws, { recursive: true, force: true });
});

describe("ostk-cache CLI (built dist)", () => {
  it("serves, shuts down cleanly on SIGTERM, and `stats --json` reports the request", async () => {
    const child = spawn(process.execPath, [cli, "--port", "0", "--upstream", up.url, "--workspace", ws], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, OSTK_LOG_LEVEL: "warn" },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}`)));
    });
    const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: url, maxRetries: 0 });
    const r = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(r.content[0]).toMatchObject({ type: "text" });
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const stats = spawnSync(process.execPath, [cli, "stats", "--json", "--workspace", ws], {
      encoding: "utf8",
    });
    expect(JSON.parse(stats.stdout)).toMatchObject({ requests: 1, errors: 0 });
    const csv = spawnSync(process.execPath, [cli, "stats", "--csv", "--workspace", ws], { encoding: "utf8" });
    expect(csv.stdout.split("\n")[1]).toMatch(/^claude-sonnet-4-6,1,/);
    const bad = spawnSync(process.execPath, [cli, "--mode", "nope", "--workspace", ws], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/mode: must be one of passthrough, mutate, rebuild, rebuild-kernel/);
  });
});
