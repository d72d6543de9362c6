import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { RpcClient, sha256Hex } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { KernelCore } from "../../src/core/kernel-core.js";
import { loadSigner } from "../../src/daemon/keys.js";
import { readEntries } from "../../src/journal/read.js";
import { verifyJournalDir } from "../../src/journal/verify.js";
import { requireBuiltCli } from "../helpers/dist.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

/**
 * SIGKILL a real daemon process at random points while clients write, restart, and check that
 * the journal verifies and the workspace equals the journal's committed state with no torn file.
 * Runs: OSTK_CRASH_RUNS (default 50; the nightly job sets 200).
 */
const RUNS = Number(process.env.OSTK_CRASH_RUNS ?? 50);

function waitForSocket(
  sock: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null)
        return reject(new Error(`daemon exited with ${child.exitCode}; its stderr:\n${stderr()}`));
      const s = net.connect(sock);
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        if (Date.now() > deadline) reject(new Error(`daemon did not start; its stderr:\n${stderr()}`));
        else setTimeout(attempt, 10);
      });
    };
    attempt();
  });
}

function allFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (d.name === ".ostk" && dir === root) continue;
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...allFiles(p, root));
    else out.push(path.relative(root, p));
  }
  return out;
}

async function writer(c: RpcClient, id: number, stop: { now: boolean }) {
  for (let i = 0; !stop.now; i++) {
    const file = `w${id}/f${i % 4}.txt`;
    const body = `writer ${id} op ${i} `.repeat(1 + ((i * 37) % 200));
    try {
      if (i % 7 === 3) await c.call("fs/delete", { path: file });
      else if (i % 11 === 5)
        await c.call("fs/move", { from: file, to: `w${id}/moved-${i}.txt`, overwrite: true });
      else await c.call("fs/write", { path: file, content: body });
    } catch {
      /* NotFound after a delete, or the connection dying under SIGKILL */
      if (stop.now) return;
    }
  }
}

describe("crash recovery", () => {
  it(`${RUNS} SIGKILLs at random points during writes always recover to a verified journal that matches the workspace`, async () => {
    const cli = requireBuiltCli();
    await using env = tmpKernelEnv();
    const sock = path.join(env.workspace, ".ostk", "ostk.sock");
    const signer = loadSigner(env.keyPath);
    let recoveredIntents = 0;
    for (let run = 0; run < RUNS; run++) {
      const child = spawn(process.execPath, [cli, "daemon", "-C", env.workspace], {
        env: { ...process.env, OSTK_KEY_DIR: env.keyDir, OSTK_LOG_LEVEL: "warn" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      // Kept (last 8 KiB) so a daemon that fails to start says why.
      let stderr = "";
      child.stderr?.on("data", (b: Buffer) => {
        stderr = (stderr + b.toString()).slice(-8192);
      });
      await waitForSocket(sock, child, () => stderr);
      const clients = await Promise.all(
        [0, 1, 2].map(() => RpcClient.connect({ socketPath: sock, reconnect: false, timeoutMs: 5000 })),
      );
      const stop = { now: false };
      const work = clients.map((c, i) => writer(c, i, stop));
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 60));
      child.kill("SIGKILL");
      stop.now = true;
      await new Promise((r) => child.once("exit", r));
      await Promise.allSettled(work);
      await Promise.allSettled(clients.map((c) => c.close()));

      // Restart (recovery runs in open), then compare.
      const core = await KernelCore.open({ workspace: env.workspace, signer });
      await core.close();
      const v = await verifyJournalDir(path.join(env.workspace, ".ostk"), [env.pub]);
      expect(v, `run ${run}`).toMatchObject({ ok: true });
      const state = new Map<string, string | null>();
      const open = new Set<number>();
      for (const e of readEntries(path.join(env.workspace, ".ostk"))) {
        if (e.event === "fs.intent") open.add(e.seq);
        if (e.event === "fs.commit" || e.event === "fs.abort") open.delete(e.data?.intent as number);
        if (e.event === "fs.commit" && e.data?.recovered) recoveredIntents++;
        if (e.event !== "fs.commit" || !e.path || e.data?.op === "mkdir" || e.data?.op === "rmdir") continue;
        if (e.data?.op === "move") {
          state.set(e.path, null);
          state.set(String(e.data.to), e.hash_after ?? null);
        } else state.set(e.path, e.hash_after ?? null);
      }
      expect(open.size, `run ${run}: intents left open`).toBe(0);
      const onDisk = allFiles(env.workspace);
      const tmps = onDisk.filter((f) => f.includes(".ostk-tmp-"));
      expect(tmps, `run ${run}: temp files left`).toEqual([]);
      for (const f of onDisk) {
        expect(state.get(f), `run ${run}: ${f} on disk but not committed`).toBe(
          sha256Hex(fs.readFileSync(path.join(env.workspace, f))),
        );
      }
      for (const [p, h] of state)
        if (h === null) expect(fs.existsSync(path.join(env.workspace, p)), `run ${run}: ${p}`).toBe(false);
    }
    expect(recoveredIntents).toBeGreaterThanOrEqual(0);
  }, 600_000);
});
