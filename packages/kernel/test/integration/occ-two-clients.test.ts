import { KernelClient, type OstkRpcError } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

interface Read {
  content: string;
  gen: number;
}

/** Read-modify-write of `counter=N` until `n` increments succeeded; every refusal must be a RevisionConflict. */
async function incrementer(c: KernelClient, n: number, stats: { conflicts: number; bad: unknown[] }) {
  let done = 0;
  let r = (await c.call("fs/read", { path: "shared.txt" })) as Read;
  while (done < n) {
    const m = /counter=(\d+)/.exec(r.content)!;
    try {
      const res = (await c.call("fs/edit", {
        path: "shared.txt",
        old_str: m[0],
        new_str: `counter=${Number(m[1]) + 1}`,
        expected_gen: r.gen,
      })) as { gen: number };
      done++;
      r = { content: r.content.replace(m[0], `counter=${Number(m[1]) + 1}`), gen: res.gen };
    } catch (err) {
      const e = err as OstkRpcError;
      const fresh = (await c.call("fs/read", { path: "shared.txt" })) as Read;
      if (
        e.kind !== "RevisionConflict" ||
        typeof e.data?.current_gen !== "number" ||
        e.data.current_gen <= r.gen ||
        e.data.current_gen > fresh.gen
      ) {
        stats.bad.push({ kind: e.kind, data: e.data, had: r.gen, now: fresh.gen });
      }
      stats.conflicts++;
      r = fresh;
    }
  }
}

describe("optimistic concurrency over the socket", () => {
  it("two clients × 1,000 increments of one line lose no update; every refusal is a RevisionConflict with the current gen", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const a = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-a", kind: "agent" },
    });
    const b = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-b", kind: "agent" },
    });
    await a.call("fs/write", { path: "shared.txt", content: "header\ncounter=0\nfooter\n" });
    const stats = { conflicts: 0, bad: [] as unknown[] };
    await Promise.all([incrementer(a, 1000, stats), incrementer(b, 1000, stats)]);
    const final = (await a.call("fs/read", { path: "shared.txt" })) as Read;
    expect(final.content).toBe("header\ncounter=2000\nfooter\n");
    expect(final.gen).toBe(2001);
    expect(stats.bad).toEqual([]);
    expect(stats.conflicts).toBeGreaterThan(0); // the two really raced
    const v = (await a.call("audit/verify", {})) as { ok: boolean };
    expect(v.ok).toBe(true);
    await a.close();
    await b.close();
    await k.close();
  }, 120_000);

  it("edits more than 3 lines apart merge automatically and the reply says so", async () => {
    await using env = tmpKernelEnv();
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const a = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-a", kind: "agent" },
    });
    const b = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-b", kind: "agent" },
    });
    const body = ["A=0", ...Array.from({ length: 10 }, (_, i) => `filler ${i}`), "B=0"].join("\n");
    const w = (await a.call("fs/write", { path: "two.txt", content: body })) as { gen: number };
    let merged = 0;
    const run = async (c: KernelClient, key: string) => {
      let gen = w.gen;
      for (let i = 0; i < 200; i++) {
        const r = (await c.call("fs/edit", {
          path: "two.txt",
          old_str: `${key}=${i}`,
          new_str: `${key}=${i + 1}`,
          expected_gen: gen,
        })) as { gen: number; merged: boolean };
        if (r.merged) merged++;
        gen = r.gen;
      }
    };
    await Promise.all([run(a, "A"), run(b, "B")]);
    const final = (await a.call("fs/read", { path: "two.txt" })) as Read;
    expect(final.content.startsWith("A=200\n")).toBe(true);
    expect(final.content.endsWith("\nB=200")).toBe(true);
    expect(merged).toBeGreaterThan(0);
    await a.close();
    await b.close();
    await k.close();
  }, 60_000);
});
