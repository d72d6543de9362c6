import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeUpstream } from "@ostk/cache/testing";
import { KernelClient, RecallClient } from "@ostk/lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const KERNEL_CLI = fileURLToPath(new URL("../../../../packages/kernel/dist/cli.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "ostkd-cli-"));
const env = { ...process.env, OSTK_KEY_DIR: join(root, "keys"), OSTK_LOG_LEVEL: "info" };
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const r: Run = {
    child,
    stdout: "",
    stderr: "",
    exit: new Promise((res) => child.once("exit", (code) => res(code))),
  };
  child.stdout?.on("data", (d) => {
    r.stdout += d;
  });
  child.stderr?.on("data", (d) => {
    r.stderr += d;
  });
  return r;
}

async function report(r: Run): Promise<Record<string, any>> {
  const deadline = Date.now() + 30_000;
  while (!r.stdout.includes("\n")) {
    if (Date.now() > deadline || r.child.exitCode !== null)
      throw new Error(`no report: ${r.stdout}\n${r.stderr}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  return JSON.parse(r.stdout.split("\n")[0]);
}

function workspace(name: string): string {
  const ws = join(root, name);
  mkdirSync(join(ws, "src"), { recursive: true });
  writeFileSync(join(ws, "src", "hello.ts"), "export const greeting = 'hello from the fixture';\n");
  return ws;
}

describe.skipIf(!existsSync(CLI))("ostkd (built CLI)", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = run(["--help"]);
    expect(await r.exit).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ostkd \[dir\]/);
    expect(r.stdout).toContain("--port");
  });

  it("refuses an invalid configuration with `key: message (source)` lines and starts nothing", async () => {
    const ws = workspace("bad-config");
    mkdirSync(join(ws, ".ostk"));
    writeFileSync(join(ws, ".ostk", "config.toml"), '[ostkd]\nlog_level = "loud"\n');
    const r = run([ws, "--mode", "fastest"]);
    expect(await r.exit).toBe(2);
    expect(r.stderr).toContain(
      'cache.mode: must be one of "passthrough", "mutate", "rebuild", "rebuild-kernel", got "fastest" (flag --mode)',
    );
    expect(r.stderr).toContain(
      `ostkd.log_level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (in ${join(ws, ".ostk", "config.toml")})`,
    );
    expect(existsSync(join(ws, ".ostk", "ostk.sock"))).toBe(false);
  });

  describe("a running daemon", () => {
    let r: Run;
    let info: Record<string, any>;
    const ws = workspace("running");
    beforeAll(async () => {
      r = run([ws, "--port", "0", "--json"]);
      info = await report(r);
    });
    afterAll(async () => {
      if (r.child.exitCode === null) {
        r.child.kill("SIGKILL");
        await r.exit;
      }
    });

    it("reports all three layers running, with the sockets, the proxy and the connect lines", () => {
      expect(info.layers.kernel.state).toBe("running");
      expect(info.layers.recall.state).toBe("running");
      expect(info.layers.cache.state).toBe("running");
      expect(info.kernel_socket).toBe(join(info.workspace, ".ostk", "ostk.sock"));
      expect(info.recall_socket).toBe(join(info.workspace, ".ostk", "recall.sock"));
      expect(info.proxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.claude_mcp_add).toContain(`claude mcp add ostk -- ${process.execPath} `);
      expect(info.claude_mcp_add).toMatch(/kernel\/dist\/cli\.js mcp -C /);
      expect(info.mcp.args.slice(1)).toEqual(["mcp", "-C", info.workspace]);
    });

    it("serves the kernel socket, recall (which follows kernel commits) and the proxy", async () => {
      const k = await KernelClient.connect({
        socketPath: info.kernel_socket,
        identity: { id: "ostkd-test", kind: "human" },
      });
      try {
        await k.call("fs/write", {
          path: "src/new.ts",
          content:
            "/** Counts the zebras and quokkas in the enclosure. */\nexport function zebraQuokka(n: number): number {\n  return n * 42;\n}\n",
        });
      } finally {
        await k.close();
      }
      const recall = await RecallClient.connect({ socketPath: info.recall_socket });
      try {
        const deadline = Date.now() + 5_000;
        let found = false;
        while (!found && Date.now() < deadline) {
          const res = (await recall.search({ query: "zebraQuokka" })) as { hits: { path: string }[] };
          found = res.hits.some((h) => h.path === "src/new.ts");
          if (!found) await new Promise((res) => setTimeout(res, 100));
        }
        expect(found).toBe(true);
        const st = (await recall.status()) as { events: number };
        expect(st.events).toBeGreaterThan(0);
      } finally {
        await recall.close();
      }
      const health = await fetch(`${info.proxy}/healthz`);
      expect(health.status).toBe(200);
    });

    it("stops cleanly on SIGTERM: sockets removed, lock released, exit 0", async () => {
      r.child.kill("SIGTERM");
      expect(await r.exit).toBe(0);
      expect(r.stderr).toMatch(/stopped cleanly in \d+ ms/);
      expect(existsSync(join(info.workspace, ".ostk", "ostk.sock"))).toBe(false);
      expect(existsSync(join(info.workspace, ".ostk", "anchor.lock"))).toBe(false);
    });
  });

  it("when the proxy port is taken, says so with --port advice and keeps the kernel and recall serving", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, "127.0.0.1", () => res()));
    const port = (blocker.address() as { port: number }).port;
    const r = run([workspace("port-taken"), "--port", String(port)]);
    try {
      const deadline = Date.now() + 30_000;
      while (!r.stdout.includes("Ctrl-C") && Date.now() < deadline && r.child.exitCode === null)
        await new Promise((res) => setTimeout(res, 20));
      if (!r.stdout.includes("Ctrl-C"))
        throw new Error(`no report (exit ${r.child.exitCode}): ${r.stdout}\n${r.stderr}`);
      expect(r.stdout).toMatch(/✗ cache\s+did not start: .*EADDRINUSE/);
      expect(r.stdout).toContain("--port <n>");
      expect(r.stdout).toMatch(/✓ kernel/);
      expect(r.stdout).toMatch(/✓ recall/);
      r.child.kill("SIGINT");
      expect(await r.exit).toBe(0);
    } finally {
      if (r.child.exitCode === null) r.child.kill("SIGKILL");
      blocker.close();
    }
  });

  it("a signal relayed twice (npm start + Ctrl-C) stops gracefully; a later second signal forces the exit", async () => {
    const fake = await startFakeUpstream();
    // ~10 s of streaming: the graceful stop would wait for it.
    fake.setDefault({ text: "word ".repeat(48).trim(), chunkDelayMs: 200 });
    const r = run([workspace("forced"), "--port", "0", "--upstream", fake.url, "--json"]);
    try {
      const info = await report(r);
      const res = await fetch(`${info.proxy}/v1/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": "sk-ant-test-forced-000000000",
          "anthropic-version": "2023-06-01",
        },
        body: JSON.stringify({
          model: "claude-sonnet-4-6",
          max_tokens: 64,
          stream: true,
          messages: [{ role: "user", content: "go" }],
        }),
      });
      const reader = res.body?.getReader();
      await reader?.read();
      const t0 = performance.now();
      // A terminal's Ctrl-C reaches the process group and npm relays it: the same signal twice, ms apart.
      r.child.kill("SIGINT");
      await new Promise((res) => setTimeout(res, 10));
      r.child.kill("SIGINT");
      await new Promise((res) => setTimeout(res, 700));
      expect(r.child.exitCode, "the relayed signal is one stop request: it waits for the stream").toBeNull();
      r.child.kill("SIGTERM");
      expect(await r.exit).toBe(130);
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(r.stderr).toContain("forced exit");
      await reader?.cancel().catch(() => undefined);
    } finally {
      if (r.child.exitCode === null) r.child.kill("SIGKILL");
      await fake.close();
    }
  });

  it.skipIf(!existsSync(KERNEL_CLI))(
    "when another kernel serves the workspace, reports why its own kernel did not start and follows that one",
    async () => {
      const ws = workspace("other-kernel");
      const init = spawn(process.execPath, [KERNEL_CLI, "init", "-C", ws], { env, stdio: "ignore" });
      await new Promise((res) => init.once("exit", res));
      const other = spawn(process.execPath, [KERNEL_CLI, "daemon", "-C", ws], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let otherErr = "";
      other.stderr?.on("data", (d) => {
        otherErr += d;
      });
      const deadline = Date.now() + 20_000;
      while (!otherErr.includes("kernel started") && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 20));
      const r = run([ws, "--port", "0", "--json"]);
      try {
        const info = await report(r);
        expect(info.layers.kernel.state).toBe("failed");
        expect(info.layers.kernel.reason).toMatch(/another ostk daemon \(pid \d+\) holds/);
        expect(info.layers.recall.state).toBe("running");
        expect(info.layers.recall.detail.follows).toBe("kernel subscription");
        expect(info.layers.cache.state).toBe("running");
        expect(info.layers.cache.detail.invalidation).toBe("kernel");
        r.child.kill("SIGTERM");
        expect(await r.exit).toBe(0);
      } finally {
        if (r.child.exitCode === null) r.child.kill("SIGKILL");
        other.kill("SIGTERM");
        await new Promise((res) => other.once("exit", res));
      }
    },
  );
});
