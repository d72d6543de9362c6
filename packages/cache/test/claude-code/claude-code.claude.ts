// Real Claude Code → ostk-cache (mutate) → the simulating fake upstream. Opt-in: run with
// `pnpm --filter @ostk/cache test:claude` (installs the ~245 MB binary outside the repo if missing).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheProxy, startCacheProxy } from "../../src/index";
import { type FakeUpstream, startFakeUpstream } from "../../src/testing/index";
import { cacheBlocks } from "../../src/wire/cache-blocks";
import { allFiles, ledgerRows } from "../integration/helpers";
import { ensureClaudeCode } from "./ensure-claude";

const KEY = "sk-ant-api03-CLAUDECODE-do-not-leak-0123456789abcdef";
const ANSWER = "The answer is 42.";

let bin: string;
let up: FakeUpstream;
let proxy: CacheProxy;
let workspace: string;
let home: string;
let project: string;

beforeAll(async () => {
  bin = ensureClaudeCode((s) => process.stderr.write(s));
  up = await startFakeUpstream();
  up.setDefault({ text: ANSWER });
  workspace = mkdtempSync(join(tmpdir(), "ostk-cache-cc-ws-"));
  home = mkdtempSync(join(tmpdir(), "ostk-cache-cc-home-"));
  project = mkdtempSync(join(tmpdir(), "ostk-cache-cc-project-"));
  proxy = await startCacheProxy({
    workspace,
    port: 0,
    upstream: up.url,
    mode: "mutate",
    ignoreConfigFiles: true,
    followChanges: false,
  });
});

afterAll(async () => {
  await proxy?.close();
  await up?.close();
  for (const d of [workspace, home, project]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Runs `claude` with a throwaway HOME, pointed at the proxy; stdin closed (as in a script). */
function claude(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: project,
        timeout: 120_000,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          ANTHROPIC_BASE_URL: proxy.url,
          ANTHROPIC_API_KEY: KEY,
          DISABLE_AUTOUPDATER: "1",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

const marks = (body: Record<string, unknown>) =>
  cacheBlocks(body).filter((b) => b.cacheControl).length + (body.cache_control ? 1 : 0);

describe("Claude Code through ostk-cache (mutate)", () => {
  it("answers, gets a rewritten body upstream, reads the prefix from the cache on turn 2, leaks no key", async () => {
    const version = await claude(["--version"]);
    process.stderr.write(`claude --version: ${version.stdout.trim()}\n`);

    const first = await claude(["-p", "What is 6 times 7?"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(ANSWER);
    const second = await claude(["-p", "--continue", "And times 2?"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(ANSWER);

    // What the upstream received: Claude Code's streamed Messages requests, rewritten.
    const model = up.requests.filter((r) => r.method === "POST" && r.path === "/v1/messages");
    expect(model.length).toBeGreaterThanOrEqual(2);
    for (const r of model) {
      expect(r.url).toContain("beta=true");
      expect(r.body.stream).toBe(true);
      expect(r.headers["x-api-key"]).toBe(KEY);
      expect(r.raw.toString("utf8")).not.toMatch(/cch=/);
      expect(marks(r.body)).toBeLessThanOrEqual(4);
    }
    const turn2 = model.at(-1)!;
    expect(turn2.body.messages.length).toBeGreaterThan(model[0].body.messages.length);

    await proxy.close(); // flushes the ledger
    const rows = ledgerRows(workspace).filter((r) => r.route === "anthropic-messages");
    expect(rows.length).toBe(model.length);
    for (const [i, row] of rows.entries()) {
      expect(row.status).toBe(200);
      expect(row.stream).toBe(true);
      const bp = row.breakpoints as { client: number; final: number };
      // Claude Code places 3 of its own; the proxy places up to 4 and the upstream saw exactly those.
      expect(bp.client).toBe(3);
      expect(bp.final).toBe(4);
      expect(marks(model[i].body)).toBe(bp.final);
    }
    // Turn 1 writes the prefix into the simulated provider cache, turn 2 reads it; the ledger has both.
    expect(Number(rows[0].cache_write_5m_tokens) + Number(rows[0].cache_write_1h_tokens)).toBeGreaterThan(0);
    expect(rows.at(-1)!.cache_read_tokens).toBeGreaterThan(1000);
    process.stderr.write(
      `ledger: ${rows.map((r) => `in ${r.input_tokens} read ${r.cache_read_tokens} write ${Number(r.cache_write_5m_tokens) + Number(r.cache_write_1h_tokens)} cch stripped ${(r.stripped as { cch: number }).cch}`).join(" | ")}\n`,
    );

    // No API key in anything the proxy wrote.
    const files = allFiles(workspace);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.bytes.includes(KEY), f.path).toBe(false);
  });
});
