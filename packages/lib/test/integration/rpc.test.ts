import { spawnSync } from "node:child_process";
import { lstatSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, OstkRpcError } from "../../src/errors.js";
import { RpcClient } from "../../src/rpc/rpc-client.js";
import { type RpcHandlerContext, serveRpc } from "../../src/rpc/serve-rpc.js";
import { currentTrace, newTrace, withTrace } from "../../src/trace/trace-context.js";
import { rawSocket, tempDir } from "../helpers.js";

const negotiation = { session: "s-1", granted: ["pin:default"], denied: [], reason: "ok" };

describe("serveRpc + RpcClient", () => {
  it("carries identity and trace context to the handler and returns the result", async () => {
    using tmp = tempDir();
    const seen: RpcHandlerContext[] = [];
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      handlers: {
        "session/negotiate": async (params, ctx) => {
          seen.push(ctx);
          expect(params).toEqual({ scope: { pins: ["default"] } }); // _meta is split off
          expect(currentTrace()?.traceId).toBe(ctx.traceId);
          return negotiation;
        },
      },
    });
    const client = await RpcClient.connect({
      socketPath: server.socketPath,
      identity: { id: "bot-1", kind: "integration" },
    });
    const trace = newTrace();
    const res = await withTrace(trace, () =>
      client.call("session/negotiate", { scope: { pins: ["default"] } }),
    );
    expect(res).toEqual(negotiation);
    expect(seen[0].identity).toEqual({ id: "bot-1", kind: "integration" });
    expect(seen[0].traceId).toBe(trace.traceId);
    await client.close();
    await server.close();
  });

  it("answers malformed, invalid, unknown and oversize frames with JSON-RPC errors and keeps the connection", async () => {
    using tmp = tempDir();
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      maxFrameBytes: 4096,
      handlers: { "session/negotiate": () => negotiation, "x/echo": (p) => p },
    });
    const raw = await rawSocket(server.socketPath);
    raw.send("{not json\n");
    expect((await raw.next()).error.code).toBe(ERROR_CODES.ParseError);
    raw.send('"just a string"\n');
    expect((await raw.next()).error.code).toBe(ERROR_CODES.InvalidRequest);
    raw.send('{"jsonrpc":"1.0","id":7,"method":"x/echo"}\n');
    const inv = await raw.next();
    expect(inv.id).toBe(7);
    expect(inv.error.code).toBe(ERROR_CODES.InvalidRequest);
    raw.send('{"jsonrpc":"2.0","id":8,"method":"nope/nothing","params":{}}\n');
    expect((await raw.next()).error).toMatchObject({ code: ERROR_CODES.MethodNotFound });
    raw.send(
      '{"jsonrpc":"2.0","id":9,"method":"session/negotiate","params":{"scope":{"pins":"x"},"bogus":1}}\n',
    );
    const ip = await raw.next();
    expect(ip.error.code).toBe(ERROR_CODES.InvalidParams);
    expect([...ip.error.data.errors].sort()).toEqual([
      "params.bogus: is not allowed",
      "params.scope.pins: must be array",
    ]);
    // Oversize frame, split over several writes: one error, then the connection still works.
    raw.send(`{"jsonrpc":"2.0","id":10,"method":"x/echo","params":{"a":"${"x".repeat(3000)}`);
    raw.send(`${"y".repeat(3000)}"}}\n`);
    const big = await raw.next();
    expect(big.error.code).toBe(ERROR_CODES.FrameTooLarge);
    expect(big.error.data.kind).toBe("FrameTooLarge");
    raw.send('{"jsonrpc":"2.0","id":11,"method":"x/echo","params":{"a":1}}\n');
    expect(await raw.next()).toEqual({ jsonrpc: "2.0", id: 11, result: { a: 1 } });
    // Batches work too.
    raw.send(
      '[{"jsonrpc":"2.0","id":12,"method":"x/echo","params":{"b":2}},{"jsonrpc":"2.0","id":13,"method":"nope"}]\n',
    );
    const batch = await raw.next();
    expect(batch).toHaveLength(2);
    raw.close();
    await server.close();
  });

  it("hands non-JSON lines (blank ones too) to onRawLine and still serves JSON-RPC on the same connection", async () => {
    using tmp = tempDir();
    const raw: string[] = [];
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      handlers: { "x/echo": (p) => p },
      onRawLine: (line, conn) => {
        raw.push(line);
        conn.notify("x/seen", { line });
      },
    });
    const sock = await rawSocket(server.socketPath);
    sock.send('src/a.ts\r\n\n  {"jsonrpc":"2.0","id":1,"method":"x/echo","params":{"a":1}}\n');
    expect(await sock.next()).toEqual({ jsonrpc: "2.0", method: "x/seen", params: { line: "src/a.ts" } });
    expect(await sock.next()).toEqual({ jsonrpc: "2.0", method: "x/seen", params: { line: "" } });
    expect(await sock.next()).toEqual({ jsonrpc: "2.0", id: 1, result: { a: 1 } });
    // A broken JSON line is still a parse error, not a raw line.
    sock.send("{not json\n");
    expect((await sock.next()).error.code).toBe(ERROR_CODES.ParseError);
    expect(raw).toEqual(["src/a.ts", ""]);
    sock.close();
    await server.close();
    // Without onRawLine the same line is a parse error.
    const plain = await serveRpc({ socketPath: join(tmp.dir, "p.sock"), handlers: {} });
    const p = await rawSocket(plain.socketPath);
    p.send("src/a.ts\n");
    expect((await p.next()).error.code).toBe(ERROR_CODES.ParseError);
    p.close();
    await plain.close();
  });

  it("fails a call whose answer exceeds the client's frame cap instead of timing out", async () => {
    using tmp = tempDir();
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      maxFrameBytes: 1 << 20,
      handlers: { "x/big": () => ({ blob: "z".repeat(200_000) }), "x/small": () => 1 },
    });
    const client = await RpcClient.connect({
      socketPath: server.socketPath,
      maxFrameBytes: 100_000,
      timeoutMs: 5000,
    });
    const err = (await client.call("x/big", {}).catch((e) => e)) as OstkRpcError;
    expect(err.kind).toBe("FrameTooLarge"); // not Timeout: the call fails as soon as the frame is seen
    expect(await client.call("x/small", {})).toBe(1);
    await client.close();
    await server.close();
  });

  it("maps handler errors to catalog codes with data.kind", async () => {
    using tmp = tempDir();
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      handlers: {
        "x/deny": () => {
          throw new OstkRpcError("PolicyDenied", "policy denied write to src/a.ts", { reason: "write-src" });
        },
        "x/crash": () => {
          throw new Error("boom");
        },
      },
    });
    const client = await RpcClient.connect({ socketPath: server.socketPath });
    const err = (await client.call("x/deny", {}).catch((e) => e)) as OstkRpcError;
    expect(err).toBeInstanceOf(OstkRpcError);
    expect(err.kind).toBe("PolicyDenied");
    expect(err.data?.reason).toBe("write-src");
    const crash = (await client.call("x/crash", {}).catch((e) => e)) as OstkRpcError;
    expect(crash.kind).toBe("InternalError");
    expect(await client.call("x/deny", {}).catch((e) => e.code)).toBe(-32001); // still connected
    await client.close();
    await server.close();
  });

  it("times out a call that does not answer", async () => {
    using tmp = tempDir();
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      drainTimeoutMs: 100,
      handlers: { "x/hang": (_p, ctx) => new Promise((r) => ctx.signal.addEventListener("abort", r)) },
    });
    const client = await RpcClient.connect({ socketPath: server.socketPath, timeoutMs: 150 });
    const err = (await client.call("x/hang", {}).catch((e) => e)) as OstkRpcError;
    expect(err.kind).toBe("Timeout");
    await client.close();
    await server.close();
  });

  it("matches answers that come back out of order to their calls; a cancelled call rejects at once and its late answer is dropped", async () => {
    using tmp = tempDir();
    let started = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    let release: (v: unknown) => void = () => {};
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      handlers: {
        "x/after": (p: { ms: number; v: string }) => new Promise((r) => setTimeout(() => r(p.v), p.ms)),
        "x/held": () => {
          started();
          return new Promise((r) => {
            release = r;
          });
        },
      },
    });
    const client = await RpcClient.connect({ socketPath: server.socketPath });
    const calls = [40, 5, 25, 0, 15].map((ms, i) => client.call("x/after", { ms, v: `v${i}` }));
    expect(await Promise.all(calls)).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    // the handler answers only once the test lets it: a cancel that waited for the answer would hang here
    const ac = new AbortController();
    const cancelled = client.call("x/held", {}, { signal: ac.signal }).catch((e) => e);
    await running;
    ac.abort();
    const err = (await cancelled) as OstkRpcError;
    expect(err.kind).toBe("Cancelled");
    const aborted = (await client
      .call("x/after", { ms: 0, v: "x" }, { signal: ac.signal })
      .catch((e) => e)) as OstkRpcError;
    expect(aborted.kind).toBe("Cancelled");
    release("late"); // its answer now arrives for a call nobody waits on, and is dropped
    expect(await client.call("x/after", { ms: 0, v: "still serving" })).toBe("still serving");
    await client.close();
    await server.close();
  });

  it("survives a daemon that closes mid-response and reconnects after a restart", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "k.sock");
    let server = await serveRpc({
      socketPath,
      handlers: {
        "x/die": (_p, ctx) => {
          (ctx.connection as unknown as { socket: { write(s: string): void; destroy(): void } }).socket.write(
            '{"jsonrpc":"2.0","id":1,"res',
          );
          ctx.connection.close();
          return new Promise(() => {});
        },
      },
      drainTimeoutMs: 50,
    });
    const client = await RpcClient.connect({
      socketPath,
      timeoutMs: 5000,
      reconnect: { initialDelayMs: 20 },
    });
    const err = (await client.call("x/die", {}).catch((e) => e)) as OstkRpcError;
    expect(err).toBeInstanceOf(OstkRpcError);
    expect(err.kind).toBe("Unavailable");
    await server.close();
    server = await serveRpc({ socketPath, handlers: { "x/ok": () => "back" } });
    expect(await client.call("x/ok", {})).toBe("back");
    await client.close();
    await server.close();
  });

  it("fails fast once it gave up reconnecting", async () => {
    using tmp = tempDir();
    const server = await serveRpc({ socketPath: join(tmp.dir, "k.sock"), handlers: { "x/ok": () => 1 } });
    const client = await RpcClient.connect({
      socketPath: server.socketPath,
      timeoutMs: 20_000,
      reconnect: { initialDelayMs: 5, maxAttempts: 2 },
    });
    await server.close();
    const first = (await client.call("x/ok", {}).catch((e) => e)) as OstkRpcError;
    expect(first.kind).toBe("Unavailable");
    const second = (await client.call("x/ok", {}).catch((e) => e)) as OstkRpcError;
    expect(second.message).toMatch(/gave up reconnecting/);
    await client.close();
  });

  it("delivers notifications and drains in-flight calls on close()", async () => {
    using tmp = tempDir();
    let release!: () => void;
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => {
      entered = r;
    });
    const server = await serveRpc({
      socketPath: join(tmp.dir, "k.sock"),
      handlers: {
        "x/slow": () =>
          new Promise((r) => {
            release = () => r("done");
            entered();
          }),
        "x/ping": (_p, ctx) => {
          ctx.notify("x/pong", { n: 1 });
          return true;
        },
      },
    });
    const client = await RpcClient.connect({ socketPath: server.socketPath, reconnect: false });
    const got: unknown[] = [];
    client.onNotification("x/pong", (p) => got.push(p));
    client.onNotification("x/all", (p) => got.push(p));
    await client.call("x/ping", {});
    expect(server.broadcast("x/all", { n: 2 })).toBe(1);
    const slow = client.call("x/slow", {});
    await inHandler;
    expect(server.inFlight).toBe(1);
    const closing = server.close(); // must wait for x/slow
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await slow).toBe("done");
    await closing;
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    await expect(RpcClient.connect({ socketPath: server.socketPath })).rejects.toThrow(/cannot connect/);
    await client.close();
  });

  it("refuses to take over a socket another daemon is serving", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "k.sock");
    const a = await serveRpc({ socketPath, handlers: {} });
    await expect(serveRpc({ socketPath, handlers: {} })).rejects.toThrow(/already serving/);
    await a.close();
    // A stale socket file (daemon crashed) is replaced; a regular file is never deleted.
    spawnSync(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(lstatSync(socketPath).isSocket()).toBe(true); // left behind by the killed daemon
    const b = await serveRpc({ socketPath, handlers: { "x/up": () => "up" } });
    const c = await RpcClient.connect({ socketPath });
    expect(await c.call("x/up", {})).toBe("up");
    await c.close();
    const file = join(tmp.dir, "not-a-socket");
    writeFileSync(file, "keep me");
    await expect(serveRpc({ socketPath: file, handlers: {} })).rejects.toThrow(/not a socket/);
    expect(readFileSync(file, "utf8")).toBe("keep me");
    await b.close();
  });
});
