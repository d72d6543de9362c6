import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findKernelSocket } from "../../src/client/discover-socket.js";
import { KernelClient } from "../../src/client/kernel-client.js";
import type { JournalEntry } from "../../src/journal/entry.js";
import { startFakeKernel } from "../fake-kernel.js";
import { tempDir } from "../helpers.js";

const saved = process.env.OSTK_SOCKET;
afterEach(() => {
  if (saved === undefined) delete process.env.OSTK_SOCKET;
  else process.env.OSTK_SOCKET = saved;
});

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("KernelClient", () => {
  it("finds .ostk/ostk.sock by walking up from cwd; OSTK_SOCKET overrides", async () => {
    using tmp = tempDir();
    delete process.env.OSTK_SOCKET;
    const kernel = await startFakeKernel(tmp.dir);
    const deep = join(tmp.dir, "a", "b", "c");
    mkdirSync(deep, { recursive: true });
    expect(findKernelSocket(deep)).toBe(kernel.socketPath);
    expect(findKernelSocket("/")).toBeUndefined();
    const k = await KernelClient.connect({ cwd: deep, identity: { id: "t", kind: "integration" } });
    expect(k.rpc.socketPath).toBe(kernel.socketPath);
    await k.close();
    process.env.OSTK_SOCKET = "/nonexistent/ostk.sock";
    expect(findKernelSocket(deep)).toBe("/nonexistent/ostk.sock");
    await expect(KernelClient.connect({ cwd: deep })).rejects.toThrow(/cannot connect/);
    delete process.env.OSTK_SOCKET;
    await expect(KernelClient.connect({ cwd: "/" })).rejects.toThrow(/no kernel socket found/);
    await kernel.close();
  });

  it("negotiate() returns granted/denied/reason and binds later calls to the session", async () => {
    using tmp = tempDir();
    const kernel = await startFakeKernel(tmp.dir);
    const k = await KernelClient.connect({ cwd: tmp.dir, identity: { id: "bot", kind: "integration" } });
    const n = await k.negotiate({ pins: ["default"], capabilities: ["read:src/**", "write:.ostk/pins"] });
    expect(n.granted).toEqual(["pin:default", "read:src/**"]);
    expect(n.denied).toEqual([
      { capability: "write:.ostk/pins", reason: "write-kernel: .ostk/ is governance state" },
    ]);
    expect(n.reason).toBe("partially granted");
    expect(k.identity?.session).toBe(n.session);
    await k.call("x/write", { path: "src/a.ts", content: "x" });
    expect(kernel.entries[0].actor).toEqual({ id: "bot", kind: "agent", session: n.session });
    await k.close();
    await kernel.close();
  });

  it("subscribe() does not miss entries committed while the kernel restarts, even before the first one", async () => {
    using tmp = tempDir();
    const kernel = await startFakeKernel(tmp.dir);
    kernel.commit("src/old.ts", "write"); // before subscribing: not delivered
    const k = await KernelClient.connect({ cwd: tmp.dir, reconnect: { initialDelayMs: 50 } });
    const sub = k.subscribe();
    await sub.ready;
    await kernel.restart();
    kernel.commit("src/during.ts", "write"); // committed before the client is back
    const [e] = await take<JournalEntry>(sub, 1);
    expect(e.path).toBe("src/during.ts");
    await sub.return?.();
    await k.close();
    await kernel.close();
  });

  it("subscribe() yields committed entries, filtered, and resumes after a kernel restart without duplicates", async () => {
    using tmp = tempDir();
    const kernel = await startFakeKernel(tmp.dir);
    const k = await KernelClient.connect({ cwd: tmp.dir, reconnect: { initialDelayMs: 10 } });
    const sub = k.subscribe({ paths: ["src/"] });
    await sub.ready;
    kernel.commit("src/a.ts", "write");
    kernel.commit("docs/x.md", "write");
    kernel.commit("src/b.ts", "edit");
    const first = await take<JournalEntry>(sub, 2);
    expect(first.map((e) => e.path)).toEqual(["src/a.ts", "src/b.ts"]);
    await kernel.restart();
    // Entries committed while the client is reconnecting are replayed from since_seq.
    kernel.commit("src/c.ts", "write");
    const [c] = await take<JournalEntry>(sub, 1);
    expect(c.path).toBe("src/c.ts");
    kernel.commit("src/d.ts", "write");
    const [d] = await take<JournalEntry>(sub, 1);
    expect(d.seq).toBe(5);
    await sub.return?.();
    await k.close();
    await kernel.close();
  });
});
