/**
 * Cost of following Claude Code transcripts while watching: N sessions in this workspace's project
 * directory (default 2,000), a re-scan with nothing new (what the reconcile scan does every 10 minutes),
 * the CPU the process uses over 10 idle seconds of watching, and how soon an appended exchange is found.
 *   pnpm --filter @ostk/recall exec tsx bench/transcripts.ts   (BENCH_TRANSCRIPTS=n)
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRecall } from "../src/recall.js";
import { projectSlugs } from "../src/source/transcript-source.js";

process.env.LANCEDB_LOG ??= "error";

const N = Number(process.env.BENCH_TRANSCRIPTS || 2000);
if (!Number.isInteger(N) || N <= 0)
  throw new Error(`BENCH_TRANSCRIPTS must be a positive integer, got "${process.env.BENCH_TRANSCRIPTS}"`);

const root = mkdtempSync(join(tmpdir(), "recall-bench-tx-"));
const ws = join(root, "ws");
mkdirSync(ws);
writeFileSync(join(ws, "a.ts"), "export const a = 1;\n");
const projects = join(root, "projects");
const dir = join(projects, projectSlugs(ws)[0]);
mkdirSync(dir, { recursive: true });
const line = (session: string, type: "user" | "assistant", text: string) =>
  `${JSON.stringify({
    type,
    uuid: `${session}-${type}-${text.length}`,
    sessionId: session,
    timestamp: new Date().toISOString(),
    cwd: ws,
    message: { role: type, content: type === "user" ? text : [{ type: "text", text }] },
  })}\n`;
for (let i = 0; i < N; i++)
  writeFileSync(
    join(dir, `s${i}.jsonl`),
    line(`s${i}`, "user", `question ${i} about the parser`) + line(`s${i}`, "assistant", `answer ${i}`),
  );

const recall = await openRecall({ workspace: ws, config: { transcripts: true, transcriptsDir: projects } });
let t = performance.now();
await recall.scan();
const scanMs = performance.now() - t;
const passes: number[] = [];
for (let r = 0; r < 5; r++) {
  t = performance.now();
  await recall.scan();
  passes.push(performance.now() - t);
}
passes.sort((a, b) => a - b);
await recall.watch();
await new Promise((r) => setTimeout(r, 3000));
const cpu = process.cpuUsage();
await new Promise((r) => setTimeout(r, 10_000));
const used = process.cpuUsage(cpu);
t = performance.now();
appendFileSync(join(dir, "s7.jsonl"), line("s7", "user", "quokka migration plan"));
const found = async () =>
  (await recall.search("quokka migration plan", { source: ["transcript"] })).hits.some(
    (h) => h.symbol === "quokka migration plan",
  );
while (!(await found())) await new Promise((r) => setTimeout(r, 10));
const pickUpMs = performance.now() - t;
await recall.close();
rmSync(root, { recursive: true, force: true });
const out = {
  transcripts: N,
  firstScanMs: Math.round(scanMs),
  rescanNothingNewMs: Math.round(passes[2]),
  idleWatchCpuMsPer10s: Math.round((used.user + used.system) / 1000),
  appendedExchangeFoundMs: Math.round(pickUpMs),
};
process.stdout.write(
  `${N} transcripts: first scan ${out.firstScanMs} ms; re-scan with nothing new (median of 5) ${out.rescanNothingNewMs} ms; ` +
    `CPU while watching, 10 idle seconds: ${out.idleWatchCpuMsPer10s} ms; an appended exchange found after ${out.appendedExchangeFoundMs} ms\n${JSON.stringify(out)}\n`,
);
