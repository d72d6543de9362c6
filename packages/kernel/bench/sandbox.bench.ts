/**
 * Sandbox spawn cost: plain spawn of `true` (the anchor, same run) vs the ostk launcher alone, vs the full
 * `runSandboxed` path, vs `@anthropic-ai/sandbox-runtime` (bubblewrap) when it works here.
 * Run: pnpm --filter @ostk/kernel bench:sandbox   (prints a table, then one JSON line)
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { compileRules, launcherArgs, probeSandbox, runSandboxed } from "../src/sandbox/index.js";

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = 20;

function run(file: string, args: string[], opts: { shell?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { stdio: "ignore", shell: opts.shell });
    c.on("error", reject);
    c.on("close", (code) => resolve(code ?? -1));
  });
}

/** CPU time of waited-for children (utime+stime of reaped descendants), ms. */
function childCpuMs(): number {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime, cstime in USER_HZ (100)
}

async function measure(
  name: string,
  fn: () => Promise<unknown>,
): Promise<{ name: string; p50: number; p95: number; mean: number; cpuMs: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const cpu0 = childCpuMs();
  const t: number[] = [];
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))]!;
  process.stderr.write(`  measured ${name}\n`);
  const cpuMs = (childCpuMs() - cpu0) / N;
  return { name, p50: q(0.5), p95: q(0.95), mean: t.reduce((a, b) => a + b, 0) / t.length, cpuMs };
}

async function main() {
  const ws = realpathSync(mkdtempSync(join(tmpdir(), "ostk-bench-")));
  mkdirSync(join(ws, ".ostk"));
  mkdirSync(join(ws, "src"));
  const probe = probeSandbox();
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  const notes: string[] = [];
  rows.push(await measure("plain spawn /bin/true (anchor)", () => run("/bin/true", [])));
  if (probe.available && probe.launcherPath) {
    const rules = compileRules({ workspace: ws });
    const args = [
      ...launcherArgs(rules, { cwd: ws, env: { PATH: "/usr/bin:/bin" }, usePidsCgroup: false }),
      "--",
      "/bin/true",
    ];
    rows.push(await measure("ostk launcher (Landlock+seccomp) true", () => run(probe.launcherPath!, args)));
    const argsCg = [
      ...launcherArgs(rules, { cwd: ws, env: { PATH: "/usr/bin:/bin" }, usePidsCgroup: probe.pidsCgroup }),
      "--",
      "/bin/true",
    ];
    if (probe.pidsCgroup)
      rows.push(await measure("ostk launcher + pids cgroup true", () => run(probe.launcherPath!, argsCg)));
    if (probe.mountNamespace) {
      const mrules = compileRules({ workspace: ws, mountNamespace: true });
      const argsMnt = [
        ...launcherArgs(mrules, { cwd: ws, env: { PATH: "/usr/bin:/bin" } }),
        "--",
        "/bin/true",
      ];
      rows.push(
        await measure("ostk launcher + mount namespace true", () => run(probe.launcherPath!, argsMnt)),
      );
    }
    rows.push(
      await measure("runSandboxed() true (full path)", () =>
        runSandboxed({ workspace: ws, command: ["/bin/true"] }),
      ),
    );
  } else {
    notes.push(`ostk sandbox unavailable: ${probe.reason}`);
  }
  try {
    const { SandboxManager } = await import("@anthropic-ai/sandbox-runtime");
    await SandboxManager.initialize({
      network: { allowedDomains: [], deniedDomains: [] },
      filesystem: { denyRead: [], allowWrite: [ws], denyWrite: [] },
    });
    const probeCmd = await SandboxManager.wrapWithSandbox("true");
    const code = await run(probeCmd, [], { shell: true });
    if (code !== 0) throw new Error(`sandbox-runtime's wrapped true exited ${code}`);
    rows.push(
      await measure("@anthropic-ai/sandbox-runtime (bwrap) true", async () => {
        const cmd = await SandboxManager.wrapWithSandbox("true");
        await run(cmd, [], { shell: true });
      }),
    );
    await SandboxManager.reset();
  } catch (err) {
    notes.push(`@anthropic-ai/sandbox-runtime could not run here: ${(err as Error).message}`);
  }
  rmSync(ws, { recursive: true, force: true });

  const anchor = rows[0]!.p50;
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  const anchorCpu = rows[0]!.cpuMs;
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `sandbox spawn cost, ${N} runs each (ms), Landlock ABI ${probe.landlockAbi}, load average ${load}`,
  );
  console.log(
    `${"case".padEnd(44)}${"p50".padStart(8)}${"p95".padStart(8)}${"mean".padStart(8)}${"+p50".padStart(8)}${"cpu".padStart(8)}${"+cpu".padStart(8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)}${fmt(r.p50)}${fmt(r.p95)}${fmt(r.mean)}${fmt(r.p50 - anchor)}${fmt(r.cpuMs)}${fmt(r.cpuMs - anchorCpu)}`,
    );
  }
  console.log(
    "(cpu = CPU time of the spawned processes per run; wall times inflate when the machine is loaded)",
  );
  for (const n of notes) console.log(`note: ${n}`);
  const launcher = rows.find((r) => r.name.startsWith("ostk launcher ("));
  console.log(
    JSON.stringify({
      bench: "kernel.sandbox",
      n: N,
      loadAverage: loadavg()[0],
      landlockAbi: probe.landlockAbi,
      protections: probe.protections,
      rows: rows.map((r) => ({ ...r, addedP50: r.p50 - anchor, addedCpuMs: r.cpuMs - anchorCpu })),
      target: { addedP50Ms: 3, launcherAddedP50Ms: launcher ? launcher.p50 - anchor : null },
      notes,
    }),
  );
}

await main();
