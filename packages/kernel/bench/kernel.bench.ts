/**
 * Kernel benchmarks (`pnpm --filter @ostk/kernel bench`). Each figure is compared against an anchor
 * measured in the same run:
 *   - read of a 4 KiB file over the socket (JSON-RPC, full syscall path)  vs  fs.readFile
 *   - durable signed writes/s with 1 and 16 concurrent socket clients     vs  raw JSONL append+fdatasync
 *   - the cost of signing: the same 16-client run with unsigned entries
 *   - the ceiling without the disk: the 1- and 16-client runs with fdatasync off (CPU + metadata only)
 * Prints a table, then one JSON line. Sizes via env: BENCH_READS, BENCH_WRITES.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RpcClient } from "@ostk/lib";
import { ensureKey } from "../src/daemon/keys.js";
import { startKernel } from "../src/daemon/start-kernel.js";

process.env.UV_THREADPOOL_SIZE ??= "16";
const READS = Number(process.env.BENCH_READS ?? 3000);
const WRITES = Number(process.env.BENCH_WRITES ?? 2000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function tmp(): { ws: string; keyDir: string; root: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-bench-")));
  const ws = path.join(root, "ws");
  fs.mkdirSync(ws);
  const keyDir = path.join(root, "keys");
  ensureKey(keyDir);
  return { ws, keyDir, root };
}

async function readBench() {
  const t = tmp();
  const k = await startKernel({ workspace: t.ws, keyPath: path.join(t.keyDir, "signing.key") });
  const file = path.join(t.ws, "four-k.txt");
  fs.writeFileSync(file, "x".repeat(4095) + "\n");
  const c = await RpcClient.connect({ socketPath: k.socketPath!, identity: { id: "bench", kind: "agent" } });
  for (let i = 0; i < 200; i++) await c.call("fs/read", { path: "four-k.txt" });
  const sock: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await c.call("fs/read", { path: "four-k.txt" });
    sock.push(performance.now() - t0);
  }
  const plain: number[] = [];
  for (let i = 0; i < 200; i++) await fs.promises.readFile(file);
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await fs.promises.readFile(file, "utf8");
    plain.push(performance.now() - t0);
  }
  await c.close();
  await k.close();
  fs.rmSync(t.root, { recursive: true, force: true });
  return {
    socket: { p50: pct(sock, 50), p95: pct(sock, 95) },
    readFile: { p50: pct(plain, 50), p95: pct(plain, 95) },
  };
}

async function writeBench(clients: number, sign: boolean, durable = true) {
  const t = tmp();
  const k = await startKernel({
    workspace: t.ws,
    keyPath: path.join(t.keyDir, "signing.key"),
    sign,
    durable,
  });
  const cs = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      RpcClient.connect({ socketPath: k.socketPath!, identity: { id: `bench-${i}`, kind: "agent" } }),
    ),
  );
  const per = Math.ceil(WRITES / clients);
  // warm-up
  await Promise.all(cs.map((c, i) => c.call("fs/write", { path: `c${i}/warm.txt`, content: "warm" })));
  const t0 = performance.now();
  await Promise.all(
    cs.map(async (c, i) => {
      for (let j = 0; j < per; j++)
        await c.call("fs/write", { path: `c${i}/f${j % 8}.txt`, content: `client ${i} write ${j}\n` });
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(cs.map((c) => c.close()));
  await k.close();
  fs.rmSync(t.root, { recursive: true, force: true });
  return (per * clients) / secs;
}

/** Anchor: a bare signed-size JSONL line appended and fdatasync'd per write, no kernel. */
function rawAppendBench(n: number) {
  const t = tmp();
  const fd = fs.openSync(path.join(t.ws, "raw.jsonl"), "a");
  const line = `${JSON.stringify({ v: 1, seq: 1, event: "fs.commit", path: "a/b.txt", sig: "0".repeat(128), prev_hash: "0".repeat(64) })}\n`;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, line);
    fs.fdatasyncSync(fd);
  }
  const secs = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  fs.rmSync(t.root, { recursive: true, force: true });
  return n / secs;
}

async function main() {
  const load = os.loadavg()[0];
  process.stderr.write(
    `kernel bench: reads ${READS}, writes ${WRITES} per run, load ${load.toFixed(2)} on ${os.cpus().length} cpus\n`,
  );
  process.stderr.write("  reading 4 KiB over the socket…\n");
  const read = await readBench();
  process.stderr.write("  raw append+fdatasync anchor…\n");
  const raw = rawAppendBench(Math.min(WRITES, 1000));
  process.stderr.write("  durable signed writes, 1 client…\n");
  const w1 = await writeBench(1, true);
  process.stderr.write("  durable signed writes, 16 clients…\n");
  const w16 = await writeBench(16, true);
  process.stderr.write("  durable unsigned writes, 16 clients…\n");
  const w16u = await writeBench(16, false);
  process.stderr.write("  signed writes with fdatasync off (CPU + metadata ceiling), 1 and 16 clients…\n");
  const w1n = await writeBench(1, true, false);
  const w16n = await writeBench(16, true, false);
  const rows: [string, string, string, string][] = [
    [
      "4 KiB read over socket, p50",
      `${round(read.socket.p50)} ms`,
      `fs.readFile ${round(read.readFile.p50)} ms`,
      "≤ 0.3 ms",
    ],
    [
      "4 KiB read over socket, p95",
      `${round(read.socket.p95)} ms`,
      `fs.readFile ${round(read.readFile.p95)} ms`,
      "",
    ],
    [
      "durable signed writes/s, 1 client",
      `${Math.round(w1)}`,
      `raw append+fdatasync ${Math.round(raw)}/s`,
      "≥ 2,000/s",
    ],
    [
      "durable signed writes/s, 16 clients",
      `${Math.round(w16)}`,
      `raw append+fdatasync ${Math.round(raw)}/s`,
      "≥ 8,000/s",
    ],
    [
      "durable unsigned writes/s, 16 clients",
      `${Math.round(w16u)}`,
      `signing costs ${round((1 - w16 / w16u) * 100, 1)}%`,
      "",
    ],
    [
      "signed writes/s, fdatasync off, 1 client",
      `${Math.round(w1n)}`,
      `durable is ${round((w1 / w1n) * 100, 1)}% of it`,
      "",
    ],
    [
      "signed writes/s, fdatasync off, 16 clients",
      `${Math.round(w16n)}`,
      `durable is ${round((w16 / w16n) * 100, 1)}% of it`,
      "",
    ],
  ];
  const w = [44, 12, 34, 10];
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join(" | ");
  console.log(line(["measure", "value", "anchor (same run)", "target"]));
  console.log(w.map((n) => "-".repeat(n)).join("-|-"));
  for (const r of rows) console.log(line(r));
  console.log(
    JSON.stringify({
      bench: "kernel",
      load1: round(load, 2),
      cpus: os.cpus().length,
      read4k: { socket_ms: read.socket, readFile_ms: read.readFile },
      writes_per_s: {
        c1_signed: Math.round(w1),
        c16_signed: Math.round(w16),
        c16_unsigned: Math.round(w16u),
        c1_signed_no_fsync: Math.round(w1n),
        c16_signed_no_fsync: Math.round(w16n),
      },
      anchor_raw_append_fdatasync_per_s: Math.round(raw),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
