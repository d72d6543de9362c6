import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { type JournalEntry, KernelClient, RpcClient } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

describe("kernel daemon over its socket", () => {
  it("serves syscalls with caller identity, publishes commits, and shuts down cleanly", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    expect(fs.statSync(k.socketPath!).mode & 0o777).toBe(0o600);
    const client = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "tester", kind: "agent" },
    });
    const seen: JournalEntry[] = [];
    const it = client.subscribe({ events: ["fs.commit"] });
    const reader = (async () => {
      for await (const e of it) {
        seen.push(e);
        if (seen.length === 2) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const w = (await client.call("fs/write", { path: "a.txt", content: "one\ntwo\n" })) as { gen: number };
    expect(w.gen).toBe(1);
    const e = (await client.call("fs/edit", {
      path: "a.txt",
      old_str: "two",
      new_str: "TWO",
      expected_gen: 1,
    })) as {
      gen: number;
    };
    expect(e.gen).toBe(2);
    await reader;
    expect(seen.map((x) => [x.path, x.gen_after, x.actor.id])).toEqual([
      ["a.txt", 1, "tester"],
      ["a.txt", 2, "tester"],
    ]);
    // Beside the claimed identity, the calling process as the OS reports it.
    expect(seen[0].actor.peer).toEqual({
      pid: process.pid,
      uid: process.getuid!(),
      exe: fs.realpathSync(process.execPath),
    });
    const r = (await client.call("fs/read", { path: "a.txt" })) as { content: string; gen: number };
    expect(r).toMatchObject({ content: "one\nTWO\n", gen: 2 });
    // line ranges: the final newline ends the last line, it does not add one
    const part = (offset: number, limit?: number) => client.call("fs/read", { path: "a.txt", offset, limit });
    expect(await part(2, 1)).toMatchObject({ content: "TWO\n", offset: 2, total_lines: 2, truncated: false });
    expect(await part(1, 1)).toMatchObject({ content: "one", total_lines: 2, truncated: true });
    expect(await part(1, 2)).toMatchObject({ content: "one\nTWO\n", truncated: false });
    expect(await part(9)).toMatchObject({ content: "", offset: 9, total_lines: 2, truncated: false });
    await expect(client.call("fs/read", { path: "../../etc/passwd" })).rejects.toMatchObject({
      code: -32004,
    });
    const v = (await client.call("audit/verify", {})) as { ok: boolean };
    expect(v.ok).toBe(true);
    await client.close();
    await k.close();
    expect(fs.existsSync(k.socketPath!)).toBe(false);
    expect(fs.existsSync(path.join(env.workspace, ".ostk/anchor.lock"))).toBe(false);
  });

  it("journals the process that really called, whatever identity it claims", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const script = `
      import { RpcClient } from "@ostk/lib";
      const c = await RpcClient.connect({ socketPath: ${JSON.stringify(k.socketPath)}, identity: { id: "ostk-cli", kind: "human" } });
      await c.call("fs/write", { path: "claimed.txt", content: "hi\\n" });
      const s = await c.call("session/negotiate", { scope: {} });
      await c.close();
      console.log(process.pid, s.session);`;
    // Not spawnSync: the kernel serves from this process's event loop.
    const child = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: path.resolve(import.meta.dirname, "../.."),
    });
    expect(child.stderr).toBe("");
    const [pidText, session] = child.stdout.trim().split(" ");
    const childPid = Number(pidText);
    // The session it opened names that process too (sessions.db; `ostk ps` shows it).
    const listed = (await k.call("session/list", {})) as {
      sessions: { id: string; peer?: { pid: number } }[];
    };
    expect(listed.sessions.find((x) => x.id === session)?.peer).toMatchObject({ pid: childPid });
    await k.close();
    const commit = fs
      .readFileSync(path.join(env.workspace, ".ostk/journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JournalEntry)
      .find((e) => e.event === "fs.commit" && e.path === "claimed.txt")!;
    expect(commit.actor).toMatchObject({ id: "ostk-cli", kind: "human", peer: { pid: childPid } });
    expect(childPid).not.toBe(process.pid);
  });

  it("refuses a second daemon on the same workspace and replaces a stale lock", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    await expect(startKernel({ workspace: env.workspace, keyPath: env.keyPath })).rejects.toThrow(/holds/);
    await k.close();
    // A crash leaves a lock naming a dead pid…
    fs.writeFileSync(
      path.join(env.workspace, ".ostk/anchor.lock"),
      JSON.stringify({ pid: 999_999, start: "1", host: (await import("node:os")).hostname(), ts: 0 }),
    );
    // …and a socket file nobody listens on (its owner was SIGKILLed, so it was never unlinked).
    const sock = path.join(env.workspace, ".ostk/ostk.sock");
    spawnSync(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(fs.statSync(sock).isSocket()).toBe(true);
    const k2 = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const c = await RpcClient.connect({ socketPath: k2.socketPath!, reconnect: false });
    expect(await c.call("kernel/status", {})).toMatchObject({ pid: process.pid });
    await c.close();
    await k2.close();
  });
});
