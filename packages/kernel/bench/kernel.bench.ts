/**
 * Kernel benchmarks (`pnpm --filter @ostk/kernel bench`). The kernel runs as its own process
 * (bench/bench-daemon.ts, as `ostk daemon` does); clients connect over its unix socket from this one.
 * Every figure is printed beside a baseline measured in the same run on the same disk:
 *   - read of a 4 KiB file over the socket (JSON-RPC, full syscall path)  vs  fs.readFile
 *   - durable signed writes/s, 1 and 16 concurrent clients, against the floors below
 *   - the cost of signing: the same runs with unsigned entries
 *   - the ceiling without the disk: the same runs with fdatasync off (CPU + metadata only)
 *
 * "Durable" means: the reply comes only after the write's intent (which carries content ≤ 256 KiB
 * inline) is fdatasync'd in the journal and the file has been put in place (exchange or rename). The file's own
 * data and its directory are fsynced by the background group sync; until then recovery redoes the
 * change from the durable intent (see JOURNAL.md in @ostk/lib and the SIGKILL crash-loop test).
 *
 * Floors (no kernel, no RPC, no signing; the disk alone):
 *   - append+fdatasync of an intent-sized line
 *   - temp file create/write/close + rename over an existing file, and the same with the kernel's
 *     own replace primitive (replaceFile: exchange + unlink where available)
 *   - 1-client WAL floor: append+fdatasync, then temp + replaceFile, in sequence per write
 *   - 16-client WAL floor: one append+fdatasync shared by 16 writes, then their 16 temp+renames
 *     run concurrently on the thread pool (16 threads), as the kernel does them
 *   - RPC ceiling: a no-op method (kernel/status) over the socket, 1 and 16 clients
 * Prints a table, then one JSON line. Sizes via env: BENCH_READS, BENCH_WRITES.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { RpcClient } from "@ostk/lib";
import { ensureKey } from "../src/daemon/keys.js";
import { replaceFile, replaceMethod } from "../src/util/replace-file.js";

// Read when the thread pool starts (first async fs call), after these imports: 16, as `ostk daemon`.
process.env.UV_THREADPOOL_SIZE ??= "16";
const READS = Number(process.env.BENCH_READS ?? 3000);
const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const RAW = Math.min(WRITES, 1000);
const WARMUP = 2000;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const loadNow = () => os.loadavg().map((x) => round(x, 2));

function tmp(): { ws: string; keyPath: string; root: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-bench-")));
  const ws = path.join(root, "ws");
  fs.mkdirSync(ws);
  const keyDir = path.join(root, "keys");
  ensureKey(keyDir);
  return { ws, keyPath: path.join(keyDir, "signing.key"), root };
}

interface Daemon {
  socketPath: string;
  ws: string;
  stop(): Promise<void>;
}

/** Start the kernel in its own process (thread pool of 16, as `ostk daemon` sets it). */
async function daemon(opts: { sign?: boolean; durable?: boolean } = {}): Promise<Daemon> {
  const t = tmp();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(HERE, "bench-daemon.ts"),
      t.ws,
      t.keyPath,
      opts.sign === false ? "unsigned" : "signed",
      opts.durable === false ? "nosync" : "durable",
    ],
    { env: { ...process.env, UV_THREADPOOL_SIZE: "16" }, stdio: ["pipe", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready\n")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`bench daemon exited with ${code}`)));
  });
  return {
    socketPath: path.join(t.ws, ".ostk", "ostk.sock"),
    ws: t.ws,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      await exited;
      fs.rmSync(t.root, { recursive: true, force: true });
    },
  };
}

const connect = (d: Daemon, n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      RpcClient.connect({ socketPath: d.socketPath, identity: { id: `bench-${i}`, kind: "agent" } }),
    ),
  );

async function readBench() {
  const d = await daemon();
  const file = path.join(d.ws, "four-k.txt");
  fs.writeFileSync(file, `${"x".repeat(4095)}\n`);
  const [c] = await connect(d, 1);
  // Warm up to a daemon that has been serving a while: V8 optimises the read path only after a
  // few thousand calls. (The file was just written, so every read here still hashes it.)
  for (let i = 0; i < WARMUP; i++) await c.call("fs/read", { path: "four-k.txt" });
  for (let i = 0; i < WARMUP; i++) await c.call("kernel/status", {});
  const sock: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await c.call("fs/read", { path: "four-k.txt" });
    sock.push(performance.now() - t0);
  }
  const noop: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await c.call("kernel/status", {});
    noop.push(performance.now() - t0);
  }
  const plain: number[] = [];
  for (let i = 0; i < WARMUP; i++) await fs.promises.readFile(file);
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await fs.promises.readFile(file, "utf8");
    plain.push(performance.now() - t0);
  }
  await c.close();
  await d.stop();
  return {
    socket: { p50: pct(sock, 50), p95: pct(sock, 95) },
    noop: { p50: pct(noop, 50), p95: pct(noop, 95) },
    readFile: { p50: pct(plain, 50), p95: pct(plain, 95) },
  };
}

/** Calls/s of `call(client, i, j)` with `clients` concurrent clients, `total` calls in all. */
async function rate(
  d: Daemon,
  clients: number,
  total: number,
  call: (c: RpcClient, i: number, j: number) => Promise<unknown>,
): Promise<number> {
  const cs = await connect(d, clients);
  const per = Math.ceil(total / clients);
  await Promise.all(cs.map((c, i) => call(c, i, -1))); // warm-up
  const t0 = performance.now();
  await Promise.all(
    cs.map(async (c, i) => {
      for (let j = 0; j < per; j++) await call(c, i, j);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(cs.map((c) => c.close()));
  return (per * clients) / secs;
}

const write = (c: RpcClient, i: number, j: number) =>
  c.call("fs/write", {
    path: j < 0 ? `c${i}/warm.txt` : `c${i}/f${j % 8}.txt`,
    content: `client ${i} write ${j}\n`,
  });

async function writeBench(clients: number, sign: boolean, durable = true) {
  const d = await daemon({ sign, durable });
  try {
    return await rate(d, clients, WRITES, write);
  } finally {
    await d.stop();
  }
}

/** The RPC ceiling: a method that touches neither disk nor journal. */
async function noopBench() {
  const d = await daemon();
  try {
    const status = (c: RpcClient) => c.call("kernel/status", {});
    return { c1: await rate(d, 1, 4000, status), c16: await rate(d, 16, 8000, status) };
  } finally {
    await d.stop();
  }
}

/** Floors: what the disk allows with no kernel at all. */
async function rawFloors(n: number) {
  const t = tmp();
  const dir = path.join(t.ws, "d");
  fs.mkdirSync(dir);
  // An intent line is ≈ 700–900 bytes (signed, with a small file's content inline).
  const line = `${JSON.stringify({ v: 1, event: "fs.intent", pad: "x".repeat(560), sig: "0".repeat(128) })}\n`;
  const fd = fs.openSync(path.join(t.ws, "raw.jsonl"), "a");
  for (let k = 0; k < 16; k++) fs.writeFileSync(path.join(dir, `f${k}`), "initial\n");
  let seq = 0;
  const append = () => {
    fs.writeSync(fd, line);
    fs.fdatasyncSync(fd);
  };
  const replace = (k: number) => {
    const tmpName = path.join(dir, `.f${k}.tmp-${++seq}`);
    const f = fs.openSync(tmpName, "wx");
    fs.writeSync(f, `write ${seq}\n`);
    fs.closeSync(f);
    fs.renameSync(tmpName, path.join(dir, `f${k}`));
  };
  const perSec = (count: number, fn: () => void) => {
    const t0 = performance.now();
    fn();
    return count / ((performance.now() - t0) / 1000);
  };
  // The kernel's own apply primitive (exchange + unlink where the ostk-fastfs addon loads, else rename).
  const fsp = fs.promises;
  const replaceAsync = async (k: number) => {
    const tmpName = path.join(dir, `.f${k}.tmp-${++seq}`);
    const fh = await fsp.open(tmpName, "wx");
    await fh.write(`write ${seq}\n`);
    await fh.close();
    await replaceFile(tmpName, path.join(dir, `f${k}`));
  };
  const perSecAsync = async (count: number, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    return count / ((performance.now() - t0) / 1000);
  };
  const out = {
    append_fdatasync: perSec(n, () => {
      for (let i = 0; i < n; i++) append();
    }),
    temp_rename_over: perSec(n, () => {
      for (let i = 0; i < n; i++) replace(i % 8);
    }),
    temp_replace: await perSecAsync(n, async () => {
      for (let i = 0; i < n; i++) await replaceAsync(i % 8);
    }),
    wal_1_client: await perSecAsync(n, async () => {
      for (let i = 0; i < n; i++) {
        append();
        await replaceAsync(i % 8);
      }
    }),
    wal_16_clients: 0,
  };
  // 16 writers, each: append its intent line, wait for a shared fdatasync (group commit), replace its file.
  let appended = 0;
  let synced = 0;
  let flushing: Promise<void> | null = null;
  const syncNow = async () => {
    const upto = appended;
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    synced = Math.max(synced, upto);
  };
  const groupSync = async () => {
    const target = appended;
    while (synced < target) {
      flushing ??= syncNow().finally(() => {
        flushing = null;
      });
      await flushing;
    }
  };
  const per = Math.ceil(n / 16);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async (_, k) => {
      for (let j = 0; j < per; j++) {
        fs.writeSync(fd, line);
        appended++;
        await groupSync();
        await replaceAsync(k);
      }
    }),
  );
  out.wal_16_clients = (per * 16) / ((performance.now() - t0) / 1000);
  fs.closeSync(fd);
  fs.rmSync(t.root, { recursive: true, force: true });
  return out;
}

async function main() {
  const loadStart = loadNow();
  const say = (s: string) => process.stderr.write(`  ${s}…\n`);
  process.stderr.write(
    `kernel bench: reads ${READS}, writes ${WRITES} per run, load ${loadStart.join(" ")} on ${os.cpus().length} cpus\n`,
  );
  say("floors: raw append+fdatasync, temp+rename, WAL sequences (before)");
  const rawBefore = await rawFloors(RAW);
  say("RPC ceiling: kernel/status, 1 and 16 clients");
  const noop = await noopBench();
  say("reading 4 KiB over the socket");
  const read = await readBench();
  say("durable signed writes, 1 client");
  const w1 = await writeBench(1, true);
  say("durable signed writes, 16 clients");
  const w16 = await writeBench(16, true);
  say("durable unsigned writes, 1 and 16 clients");
  const w1u = await writeBench(1, false);
  const w16u = await writeBench(16, false);
  say("signed writes with fdatasync off (CPU + metadata ceiling), 1 and 16 clients");
  const w1n = await writeBench(1, true, false);
  const w16n = await writeBench(16, true, false);
  say("floors again (after)");
  const rawAfter = await rawFloors(RAW);
  const loadEnd = loadNow();
  const floor = (k: keyof typeof rawBefore) => Math.round(Math.max(rawBefore[k], rawAfter[k]));
  const range = (k: keyof typeof rawBefore) =>
    `${Math.round(Math.min(rawBefore[k], rawAfter[k]))}–${Math.round(Math.max(rawBefore[k], rawAfter[k]))}/s`;
  const met = (v: number, target: number) => (v >= target ? "met" : "NOT met");
  const rows: string[][] = [
    [
      "4 KiB read over socket, p50",
      `${round(read.socket.p50)} ms`,
      `fs.readFile ${round(read.readFile.p50)} ms`,
      "≤ 0.3 ms",
      read.socket.p50 <= 0.3 ? "met" : "NOT met",
    ],
    [
      "4 KiB read over socket, p95",
      `${round(read.socket.p95)} ms`,
      `fs.readFile ${round(read.readFile.p95)} ms`,
    ],
    [
      "no-op RPC round trip, p50 / p95",
      `${round(read.noop.p50)} / ${round(read.noop.p95)} ms`,
      "kernel/status: the socket alone",
    ],
    [
      "durable signed writes/s, 1 client",
      `${Math.round(w1)}`,
      `1-client WAL floor ${range("wal_1_client")}`,
      "≥ 2,000/s",
      met(w1, 2000),
    ],
    [
      "durable signed writes/s, 16 clients",
      `${Math.round(w16)}`,
      `16-client WAL floor ${range("wal_16_clients")}`,
      "≥ 8,000/s",
      met(w16, 8000),
    ],
    [
      "durable unsigned writes/s, 1 client",
      `${Math.round(w1u)}`,
      `signing costs ${round((1 - w1 / w1u) * 100, 1)}%`,
    ],
    [
      "durable unsigned writes/s, 16 clients",
      `${Math.round(w16u)}`,
      `signing costs ${round((1 - w16 / w16u) * 100, 1)}%`,
    ],
    [
      "signed writes/s, fdatasync off, 1 client",
      `${Math.round(w1n)}`,
      `durable is ${round((w1 / w1n) * 100, 1)}% of it`,
    ],
    [
      "signed writes/s, fdatasync off, 16 clients",
      `${Math.round(w16n)}`,
      `durable is ${round((w16 / w16n) * 100, 1)}% of it`,
    ],
    ["floor: append+fdatasync (no kernel)", range("append_fdatasync"), "before–after the kernel runs"],
    [
      "floor: temp+rename over a file (no kernel)",
      range("temp_rename_over"),
      "rename(2) over an existing file",
    ],
    [
      "floor: temp+replaceFile (no kernel)",
      range("temp_replace"),
      `the kernel's apply: ${replaceMethod().method}`,
    ],
    ["ceiling: no-op RPC, 1 client", `${Math.round(noop.c1)}/s`, "kernel/status over the socket"],
    ["ceiling: no-op RPC, 16 clients", `${Math.round(noop.c16)}/s`, "kernel/status over the socket"],
  ];
  const w = [44, 14, 38, 10, 7];
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(w[i])).join(" | ");
  console.log(
    `durable = reply after the intent (content inline) is fdatasync'd and the file is put in place (${replaceMethod().method}); load ${loadStart.join(" ")} → ${loadEnd.join(" ")}, ${os.cpus().length} cpus`,
  );
  console.log(line(["measure", "value", "baseline (same run)", "target", ""]));
  console.log(w.map((n) => "-".repeat(n)).join("-|-"));
  for (const r of rows) console.log(line(r));
  console.log(
    JSON.stringify({
      bench: "kernel",
      load_start: loadStart,
      load_end: loadEnd,
      cpus: os.cpus().length,
      read4k: { socket_ms: read.socket, readFile_ms: read.readFile, noop_rpc_ms: read.noop },
      writes_per_s: {
        c1_signed: Math.round(w1),
        c16_signed: Math.round(w16),
        c1_unsigned: Math.round(w1u),
        c16_unsigned: Math.round(w16u),
        c1_signed_no_fsync: Math.round(w1n),
        c16_signed_no_fsync: Math.round(w16n),
      },
      floors_per_s: {
        append_fdatasync: [Math.round(rawBefore.append_fdatasync), Math.round(rawAfter.append_fdatasync)],
        temp_rename_over: [Math.round(rawBefore.temp_rename_over), Math.round(rawAfter.temp_rename_over)],
        temp_replace: [Math.round(rawBefore.temp_replace), Math.round(rawAfter.temp_replace)],
        replace_method: replaceMethod().method,
        wal_1_client: [Math.round(rawBefore.wal_1_client), Math.round(rawAfter.wal_1_client)],
        wal_16_clients: [Math.round(rawBefore.wal_16_clients), Math.round(rawAfter.wal_16_clients)],
        best_wal_1_client: floor("wal_1_client"),
        best_wal_16_clients: floor("wal_16_clients"),
      },
      rpc_noop_per_s: { c1: Math.round(noop.c1), c16: Math.round(noop.c16) },
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
