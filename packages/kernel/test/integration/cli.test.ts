import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RpcClient } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.js";
import type { CliIo } from "../../src/cli/io.js";
import { startKernel } from "../../src/daemon/start-kernel.js";

function io(cwd: string, env: NodeJS.ProcessEnv): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), cwd, env };
}

describe("ostk CLI commands (in-process)", () => {
  it("init → daemon → write/edit/read → audit verify, and a tampered journal exits 3 with the first bad seq", async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-cli-")));
    try {
      const ws = path.join(root, "ws");
      fs.mkdirSync(ws);
      const env = { ...process.env, OSTK_KEY_DIR: path.join(root, "keys"), OSTK_SOCKET: "" };
      const a = io(ws, env);
      expect(await main(["init"], a)).toBe(0);
      expect(fs.statSync(path.join(root, "keys/signing.key")).mode & 0o777).toBe(0o600);
      expect(fs.existsSync(path.join(ws, ".ostk/pins/default/pin.caps"))).toBe(true);
      expect(await main(["init"], a)).toBe(0); // idempotent
      expect(a.stdout.join("\n")).toContain("nothing changed");

      const k = await startKernel({ workspace: ws, keyPath: path.join(root, "keys/signing.key") });
      const b = io(ws, env);
      expect(await main(["write", "notes.txt", "--content", "one\ntwo\n"], b)).toBe(0);
      expect(
        await main(["edit", "notes.txt", "--old", "two", "--new", "TWO", "--expected-gen", "1"], b),
      ).toBe(0);
      const stale = io(ws, env);
      expect(
        await main(["edit", "notes.txt", "--old", "one", "--new", "1", "--expected-gen", "1"], stale),
      ).toBe(4);
      expect(stale.stderr.join("\n")).toContain("RevisionConflict");
      const st = io(ws, env);
      expect(await main(["status", "--json"], st)).toBe(0);
      expect(JSON.parse(st.stdout[0])).toMatchObject({ pid: process.pid, head_seq: 4 });
      const agent = await RpcClient.connect({
        socketPath: k.socketPath!,
        identity: { id: "otter", kind: "agent" },
      });
      await agent.call("session/negotiate", { scope: {} });
      const ps = io(ws, env);
      expect(await main(["ps"], ps)).toBe(0);
      expect(ps.stdout[0]).toMatch(/PROCESS$/);
      // The session's process as the OS reported it: this test's own process.
      expect(ps.stdout[1]).toMatch(
        new RegExp(`otter .* ${process.pid} ${path.basename(fs.realpathSync(process.execPath))}$`),
      );
      await agent.close();
      await k.close();

      const v = io(ws, env);
      expect(await main(["audit", "verify", "--json"], v)).toBe(0);
      expect(JSON.parse(v.stdout[0])).toMatchObject({ ok: true, entries: 5 }); // a write and an edit (intent + commit each), the session.grant
      const log = io(ws, env);
      expect(await main(["audit", "log", "--actor", "ostk-cli"], log)).toBe(0);
      expect(log.stdout).toHaveLength(2);
      // The CLI ran in this process: the line names it as the OS reported it to the socket.
      expect(log.stdout[0]).toContain(
        `by ostk-cli (pid ${process.pid} ${path.basename(fs.realpathSync(process.execPath))})`,
      );

      const boot = io(ws, env);
      await main(["boot", "--json"], boot);
      const report = JSON.parse(boot.stdout[0]);
      expect(report.checks.find((c: { name: string }) => c.name === "journal").status).toBe("ok");
      expect(report.checks.find((c: { name: string }) => c.name === "key").status).toBe("ok");
      expect(report.checks.find((c: { name: string }) => c.name === "peer").status).toBe("ok");
      expect(report.confidence).toBeGreaterThan(50);

      const file = path.join(ws, ".ostk/journal.jsonl");
      const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
      lines[2] = lines[2].replace('"ostk-cli"', '"intruder"');
      fs.writeFileSync(file, `${lines.join("\n")}\n`);
      const bad = io(ws, env);
      expect(await main(["audit", "verify"], bad)).toBe(3);
      expect(bad.stdout.join("\n")).toContain("FAILED at seq 3");

      const key = io(ws, env);
      expect(await main(["key", "show", "--json"], key)).toBe(0);
      expect(JSON.parse(key.stdout[0])).toMatchObject({ mode: 0o600 });
      expect(key.stdout[0]).not.toMatch(/"seed"|"secret"/);
      expect(await main(["nope"], io(ws, env))).toBe(2);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
