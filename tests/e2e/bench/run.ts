/**
 * ostkd start-up and shutdown (`pnpm --filter @ostk/e2e bench`, after a build). Each figure has an
 * anchor measured in the same run:
 *   - time to ready: `ostk daemon` alone (socket answers)  vs  ostkd (kernel + recall + cache ready)
 *   - shutdown, idle: `ostk daemon` alone                  vs  ostkd
 *   - shutdown under load (50 concurrent writes + 5 streams of ~1.5 s) vs the streams' own length
 * Prints a table, then one JSON line. Runs via env: BENCH_RUNS (default 5).
 */
import { connect } from "node:net";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { startFakeUpstream } from "@ostk/cache/testing";
import { KernelClient } from "@ostk/lib";
import { KERNEL_CLI, OSTKD_CLI, startProc, TEST_KEY, tempRoot } from "../test/helpers.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const answers = (sock: string) =>
  new Promise<boolean>((res) => {
    const s = connect(sock, () => {
      s.destroy();
      res(true);
    });
    s.on("error", () => res(false));
  });

async function kernelAlone(ws: string, env: NodeJS.ProcessEnv) {
  const init = startProc(process.execPath, [KERNEL_CLI, "init", "-C", ws], env);
  if ((await init.exit) !== 0) throw new Error(`ostk init failed: ${init.err}`);
  const t0 = performance.now();
  const p = startProc(process.execPath, [KERNEL_CLI, "daemon", "-C", ws], env);
  while (!(await answers(join(ws, ".ostk", "ostk.sock")))) {
    if (p.child.exitCode !== null) throw new Error(`ostk daemon exited ${p.child.exitCode}: ${p.err}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ready = performance.now() - t0;
  const t1 = performance.now();
  await p.stop();
  return { ready, shutdown: performance.now() - t1 };
}

async function ostkd(ws: string, env: NodeJS.ProcessEnv, upstream: string) {
  const t0 = performance.now();
  const p = startProc(
    process.execPath,
    [OSTKD_CLI, ws, "--port", "0", "--upstream", upstream, "--json"],
    env,
  );
  const info = JSON.parse((await p.waitFor(/^\{.*\}$/m, 60_000))[0]);
  const ready = performance.now() - t0;
  return { p, info, ready };
}

async function underLoad(ws: string, env: NodeJS.ProcessEnv, upstream: string) {
  const { p, info } = await ostkd(ws, env, upstream);
  const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: info.proxy, maxRetries: 0 });
  const started: Promise<void>[] = [];
  const s0 = performance.now();
  const streams = Array.from({ length: 5 }, (_, i) => {
    let seen!: () => void;
    started.push(new Promise<void>((r) => (seen = r)));
    const st = anthropic.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [{ role: "user", content: `bench ${i}` }],
    });
    st.on("streamEvent", () => seen());
    st.on("error", () => seen()); // a failed stream must not hang the wait below
    return st.finalMessage().then(() => performance.now() - s0);
  });
  await Promise.all(started);
  const clients = await Promise.all(
    Array.from({ length: 5 }, () =>
      KernelClient.connect({ socketPath: info.kernel_socket, reconnect: false }),
    ),
  );
  const writes = Array.from({ length: 50 }, (_, i) =>
    clients[i % 5].call("fs/write", { path: `bench/f${i}.txt`, content: `x${i}\n`.repeat(500) }).then(
      () => true,
      () => false,
    ),
  );
  const t1 = performance.now();
  p.child.kill("SIGTERM");
  const ok = (await Promise.all(writes)).filter(Boolean).length;
  const streamMs = median(await Promise.all(streams));
  const code = await p.exit;
  const shutdown = performance.now() - t1;
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  return { shutdown, streamMs, ok, code };
}

async function main() {
  const fake = await startFakeUpstream();
  fake.setDefault({ text: "word ".repeat(28).trim(), chunkDelayMs: 50 });
  const root = tempRoot("ostk-bench-");
  const r = {
    kernel_ready: [] as number[],
    kernel_shutdown: [] as number[],
    ostkd_ready: [] as number[],
    ostkd_ready_internal: [] as number[],
    ostkd_shutdown: [] as number[],
    load_shutdown: [] as number[],
    load_stream: [] as number[],
    load_committed: [] as number[],
  };
  try {
    for (let i = 0; i < RUNS; i++) {
      process.stderr.write(`run ${i + 1}/${RUNS}\n`);
      process.stderr.write("  ostk daemon alone…\n");
      const k = await kernelAlone(root.workspace(`k${i}`), root.env);
      r.kernel_ready.push(k.ready);
      r.kernel_shutdown.push(k.shutdown);
      process.stderr.write("  ostkd idle…\n");
      const o = await ostkd(root.workspace(`o${i}`), root.env, fake.url);
      r.ostkd_ready.push(o.ready);
      r.ostkd_ready_internal.push(o.info.ready_ms);
      const t = performance.now();
      await o.p.stop();
      r.ostkd_shutdown.push(performance.now() - t);
      process.stderr.write("  ostkd under load…\n");
      const l = await underLoad(root.workspace(`l${i}`), root.env, fake.url);
      if (l.code !== 0) throw new Error(`ostkd exited ${l.code} under load`);
      r.load_shutdown.push(l.shutdown);
      r.load_stream.push(l.streamMs);
      r.load_committed.push(l.ok);
    }
  } finally {
    await fake.close();
    await root[Symbol.asyncDispose]();
  }
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(median(v))]));
  const rows = [
    [
      "time to ready (spawn → serving)",
      `${m.kernel_ready} ms (ostk daemon)`,
      `${m.ostkd_ready} ms (ostkd; ${m.ostkd_ready_internal} ms in-process)`,
    ],
    [
      "shutdown, idle (SIGTERM → exit)",
      `${m.kernel_shutdown} ms (ostk daemon)`,
      `${m.ostkd_shutdown} ms (ostkd)`,
    ],
    [
      "shutdown under 50 writes + 5 streams",
      `${m.load_stream} ms (stream length)`,
      `${m.load_shutdown} ms (ostkd; ${m.load_committed}/50 committed)`,
    ],
  ];
  const w = [38, 26, 44];
  console.log(["figure", "anchor", "ostkd"].map((h, i) => h.padEnd(w[i])).join(" | "));
  console.log(w.map((n) => "-".repeat(n)).join("-|-"));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(w[i])).join(" | "));
  console.log(JSON.stringify({ bench: "ostkd", runs: RUNS, median_ms: m, samples: r }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
