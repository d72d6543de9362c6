import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

/** 10,000 malformed or hostile frames, each must get exactly one JSON-RPC error; the daemon keeps serving. */
function hostileFrames(n: number): string[] {
  const big = "A".repeat(200_000);
  const makers: ((i: number) => string)[] = [
    () => "{not json",
    () => "[]",
    () => "42",
    () => '"just a string"',
    (i) => JSON.stringify({ jsonrpc: "1.0", id: i, method: "fs/read", params: { path: "a" } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: 12, params: {} }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: ["a"] }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "no/such", params: {} }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: 7 } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: "../../etc/passwd" } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: "/etc/shadow" } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: "ok\u0000.txt" } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: "escape/passwd" } }),
    (i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "fs/write",
        params: { path: "escape/x", content: "pwn" },
      }),
    (i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "fs/write",
        params: { path: ".ostk/journal.jsonl", content: "x" },
      }),
    (i) =>
      JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/write", params: { path: "a.txt", content: 5 } }),
    (i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "fs/edit",
        params: { path: "a.txt", old_str: "", new_str: "x" },
      }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/read", params: { path: big } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/search", params: { pattern: "(" } }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/glob", params: { pattern: "../**" } }),
    (i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "fs/move",
        params: { from: "a.txt", to: "../out.txt" },
      }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "fs/delete", params: { path: "" } }),
    (i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "fs/write",
        params: { path: "a.txt", content: "x", expected_gen: -1 },
      }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "__proto__", params: {} }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "constructor", params: {} }),
    (i) => JSON.stringify({ jsonrpc: "2.0", id: { x: i }, method: "kernel/status" }),
  ];
  return Array.from({ length: n }, (_, i) => makers[i % makers.length](i));
}

describe("hostile frames", () => {
  it("10,000 malformed or hostile frames each get a JSON-RPC error and the daemon keeps serving", async () => {
    await using env = tmpKernelEnv();
    fs.symlinkSync("/etc", path.join(env.workspace, "escape"));
    fs.writeFileSync(path.join(env.workspace, "a.txt"), "safe\n");
    fs.mkdirSync(path.join(env.workspace, ".ostk"));
    fs.writeFileSync(path.join(env.workspace, ".ostk/config.toml"), "[limits]\nmax_frame_bytes = 2097152\n");
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const frames = hostileFrames(10_000);
    frames.push("X".repeat(3 * 1024 * 1024)); // over the frame cap configured below
    const sock = net.connect(k.socketPath!);
    await new Promise((r) => sock.once("connect", r));
    const replies: { id: unknown; error?: { code: number }; result?: unknown }[] = [];
    let buf = "";
    const done = new Promise<void>((resolve) => {
      sock.on("data", (chunk) => {
        buf += chunk.toString("utf8");
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          replies.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
        }
        if (replies.length >= frames.length) resolve();
      });
    });
    for (let i = 0; i < frames.length; i += 500) {
      if (!sock.write(`${frames.slice(i, i + 500).join("\n")}\n`))
        await new Promise((r) => sock.once("drain", r));
    }
    await done;
    expect(replies).toHaveLength(frames.length);
    const notErrors = replies.filter((r) => !r.error || typeof r.error.code !== "number");
    expect(notErrors).toEqual([]);
    const codes = new Set(replies.map((r) => r.error!.code));
    // .ostk/ writes are refused by the pin (write-kernel: PolicyDenied) before the kernel's ProtectedPath check.
    for (const c of [-32700, -32600, -32601, -32602, -32004, -32001, -32009])
      expect(codes.has(c), `code ${c}`).toBe(true);
    expect(fs.readFileSync(path.join(env.workspace, "a.txt"), "utf8")).toBe("safe\n");
    // Still serving, on the same connection and on a new one.
    sock.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: "ok", method: "fs/read", params: { path: "a.txt" } })}\n`,
    );
    const ok = await new Promise<{ result: { content: string } }>((resolve) => {
      const check = () => {
        if (replies.length > frames.length)
          resolve(replies[frames.length] as { result: { content: string } });
        else setTimeout(check, 5);
      };
      check();
    });
    expect(ok.result.content).toBe("safe\n");
    sock.destroy();
    const st = (await k.call("kernel/status")) as { pid: number };
    expect(st.pid).toBe(process.pid);
    await k.close();
  }, 120_000);
});
