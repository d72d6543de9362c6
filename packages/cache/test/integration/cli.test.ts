import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Starts the built CLI in front of `upstream` and resolves with the child and its URL once it listens. */
async function startCli(upstream: string, workspace: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    [cli, "--port", "0", "--upstream", upstream, "--workspace", workspace],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, OSTK_LOG_LEVEL: "warn", ...env },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}`)));
  });
  return { child, url };
}

describe("ostk-cache CLI (built dist)", () => {
  it("serves, shuts down cleanly on SIGTERM, and `stats --json` reports the request", async () => {
    const { child, url } = await startCli(up.url, ws);
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
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      'cache.mode: must be one of "passthrough", "mutate", "rebuild", "rebuild-kernel", got "nope" (flag --mode)',
    );
    expect(bad.stdout).not.toContain("listening");
  });

  it("talks TLS to an HTTPS upstream it trusts (NODE_EXTRA_CA_CERTS) and refuses one it cannot verify", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ostk-cache-tls-"));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const made = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat(["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"])
        .concat(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]),
      { encoding: "utf8" },
    );
    expect(made.status, made.stderr).toBe(0);
    const tlsUp = await startFakeUpstream({ tls: { key: readFileSync(key), cert: readFileSync(cert) } });
    const trusted = await startCli(tlsUp.url, dir, { NODE_EXTRA_CA_CERTS: cert });
    const untrusted = await startCli(tlsUp.url, dir);
    try {
      expect(tlsUp.url).toMatch(/^https:/);
      const client = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: trusted.url, maxRetries: 0 });
      const ask = {
        model: "claude-sonnet-4-6",
        max_tokens: 5,
        messages: [{ role: "user" as const, content: "tls" }],
      };
      expect((await client.messages.create(ask)).content[0]).toMatchObject({ text: "ok: tls" });
      const streamed = await client.messages.stream(ask).finalMessage();
      expect(streamed.content[0]).toMatchObject({ text: "ok: tls" });
      expect(tlsUp.requests).toHaveLength(2);
      const refused = new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: untrusted.url, maxRetries: 0 });
      await expect(refused.messages.create(ask)).rejects.toMatchObject({
        status: 502,
        message: expect.stringMatching(/certificate/),
      });
      expect(tlsUp.requests).toHaveLength(2);
    } finally {
      trusted.child.kill("SIGTERM");
      untrusted.child.kill("SIGTERM");
      await tlsUp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad [cache] table before listening, and --print-config shows each setting's source", () => {
    const dir = mkdtempSync(join(tmpdir(), "ostk-cache-cli-cfg-"));
    try {
      mkdirSync(join(dir, ".ostk"));
      const file = join(dir, ".ostk", "config.toml");
      writeFileSync(
        file,
        '[cache]\nprot = 9000\n[cache.response_cache]\nredis_url = "http://u:hunter22@h"\n',
      );
      const bad = spawnSync(process.execPath, [cli, "--workspace", dir], { encoding: "utf8" });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain("ostk-cache: invalid cache configuration:");
      expect(bad.stderr).toContain(`cache.prot: unknown setting (did you mean port?) (in ${file})`);
      expect(bad.stderr).toContain("cache.response_cache.redis_url: must be a redis:// or rediss:// URL");
      expect(bad.stderr).not.toContain("hunter22");

      writeFileSync(file, '[cache]\nmode = "rebuild"\n');
      const show = spawnSync(
        process.execPath,
        [cli, "--print-config", "--port", "9999", "--workspace", dir],
        {
          encoding: "utf8",
          env: { ...process.env, OSTK_CACHE_UPSTREAM: "http://127.0.0.1:1" },
        },
      );
      expect(show.status).toBe(0);
      const row = (key: string) => show.stdout.split("\n").find((l) => l.startsWith(`${key} `)) ?? "";
      expect(row("cache.port")).toMatch(/9999\s+flag --port$/);
      expect(row("cache.mode")).toMatch(
        new RegExp(`"rebuild"\\s+${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
      );
      expect(row("cache.upstream")).toMatch(/env OSTK_CACHE_UPSTREAM$/);
      expect(row("cache.openai_upstream")).toMatch(/from upstream$/);
      expect(row("cache.host")).toMatch(/"127\.0\.0\.1"\s+default$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
