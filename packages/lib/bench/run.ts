/**
 * @ostk/lib benchmarks: audit_tail throughput (200-byte lines) against a raw
 * read+split anchor, Ed25519 verify with @noble/ed25519 vs node:crypto, journal
 * verification and redaction — all measured in the same run. Prints a table
 * and a JSON line. Run: pnpm --filter @ostk/lib bench
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { entryHash, entryLine, GENESIS_HASH } from "../src/journal/entry.js";
import { createSigner, createVerifier, generateSeed } from "../src/journal/sign.js";
import { verifyJournal } from "../src/journal/verify.js";
import { redact, redactString } from "../src/redact/redact.js";
import { auditTail, auditTailBatches } from "../src/tail/audit-tail.js";
import { eventLine } from "../test/journal-writer.js";

interface Row {
  name: string;
  ops: number;
  seconds: number;
  perSecond: number;
  unit: string;
  note?: string;
}

const rows: Row[] = [];
// Every row is the median of 3 runs.
const progress = (s: string) => process.stderr.write(`bench: ${s}\n`);

/** Runs `fn` `repeat` times and keeps the median, so one hiccup of a shared machine does not decide the number. */
async function measure(
  name: string,
  unit: string,
  ops: number,
  fn: () => Promise<void> | void,
  note?: string,
  repeat = 3,
) {
  progress(name);
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)];
  rows.push({ name, ops, seconds, perSecond: ops / seconds, unit, note });
}

const dir = mkdtempSync(join(tmpdir(), "ostk-bench-"));
try {
  // --- audit_tail -----------------------------------------------------------
  const N = 200_000;
  const file = join(dir, "events.jsonl");
  let text = "";
  for (let i = 1; i <= N; i++) text += eventLine(i);
  writeFileSync(file, text);
  const lineBytes = Buffer.byteLength(eventLine(1));

  // Warm-up (JIT) on the same file before anything is measured.
  for (let i = 0; i < 2; i++) {
    for await (const _ of auditTail(file, { follow: false })) {
    }
    for (const l of readFileSync(file, "utf8").split("\n")) if (l) JSON.parse(l);
  }

  await measure("anchor: readFileSync + split + JSON.parse", "lines/s", N, () => {
    let n = 0;
    for (const l of readFileSync(file, "utf8").split("\n")) if (l) n += JSON.parse(l).seq > 0 ? 1 : 0;
    if (n !== N) throw new Error(`anchor read ${n}`);
  });
  for (const parse of [true, false]) {
    await measure(`audit_tail (file, parse=${parse})`, "events/s", N, async () => {
      let n = 0;
      for await (const _ of auditTail(file, { follow: false, parse })) n++;
      if (n !== N) throw new Error(`audit_tail read ${n}`);
    });
  }
  await measure("audit_tail batches (file, parse=true)", "events/s", N, async () => {
    let n = 0;
    for await (const batch of auditTailBatches(file, { follow: false })) n += batch.length;
    if (n !== N) throw new Error(`audit_tail read ${n}`);
  });
  // A writer thread appends (renaming every 5,000 events) while the tailer follows.
  const writerCode = `
    const { workerData } = require("node:worker_threads");
    const fs = require("node:fs");
    const { path, n, line } = workerData;
    let fd = fs.openSync(path, "a"), rot = 0;
    for (let seq = 1; seq <= n; seq += 500) {
      let chunk = "";
      for (let i = seq; i < seq + 500; i++) chunk += line.replace("SEQ", String(i));
      fs.writeSync(fd, chunk);
      if ((seq + 499) % 5000 === 0) { fs.closeSync(fd); fs.renameSync(path, path + "." + ++rot); fd = fs.openSync(path, "a"); }
    }
    fs.closeSync(fd);`;
  const template = eventLine(100_000).replace('"seq":100000,', '"seq":SEQ,');
  let liveRun = 0;
  await measure(
    "audit_tail (live writer thread, rename every 5,000)",
    "events/s",
    N,
    async () => {
      const liveDir = join(dir, `live-${++liveRun}`);
      mkdirSync(liveDir);
      const live = join(liveDir, "journal.jsonl");
      let n = 0;
      const reading = (async () => {
        for await (const it of auditTail(live, { pollMs: 1 })) {
          if (it.entry?.seq !== ++n) throw new Error(`out of order at ${n}: ${it.line.slice(0, 40)}`);
          if (n === N) break;
        }
      })();
      const worker = new Worker(writerCode, { eval: true, workerData: { path: live, n: N, line: template } });
      const exited = new Promise((resolve, reject) => worker.once("exit", resolve).once("error", reject));
      await Promise.all([reading, exited]);
    },
    "writer in a worker thread",
  );

  // --- Ed25519 --------------------------------------------------------------
  const signer = createSigner(generateSeed());
  const digests: { d: string; s: string }[] = [];
  for (let i = 0; i < 2000; i++) {
    const d = entryHash({
      v: 1,
      seq: i + 1,
      ts: i,
      event: "x",
      actor: { id: "a", kind: "agent" },
      prev_hash: GENESIS_HASH,
      key_id: "",
    });
    digests.push({ d, s: signer.signDigest(d) });
  }
  for (const [backend, count] of [
    ["node", 2000],
    ["noble", 400],
  ] as const) {
    const v = createVerifier([signer.publicKeyHex], backend);
    await measure(
      `ed25519 verify (${backend === "node" ? "node:crypto" : "@noble/ed25519"})`,
      "verifies/s",
      count,
      () => {
        for (let i = 0; i < count; i++)
          if (!v.verifyDigest(signer.keyId, digests[i].d, digests[i].s)) throw new Error("bad");
      },
    );
  }
  for (const [backend, count] of [
    ["node", 2000],
    ["noble", 300],
  ] as const) {
    const s = createSigner(generateSeed(), backend);
    await measure(
      `ed25519 sign (${backend === "node" ? "node:crypto" : "@noble/ed25519"})`,
      "signs/s",
      count,
      () => {
        for (let i = 0; i < count; i++) s.signDigest(digests[i].d);
      },
    );
  }

  // --- verifyJournal --------------------------------------------------------
  const J = 5000;
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= J; i++) {
    const e = signer.signEntry({
      v: 1,
      seq: i,
      ts: i,
      event: "fs.commit",
      actor: { id: "a", kind: "agent" },
      path: `src/${i}.ts`,
      data: { op: "write" },
      prev_hash: prev,
      key_id: "",
    });
    prev = entryHash(e);
    lines.push(entryLine(e));
  }
  await measure("verifyJournal (node:crypto)", "entries/s", J, async () => {
    const r = await verifyJournal(lines, { keys: [signer.publicKeyHex], backend: "node" });
    if (!r.ok) throw new Error("verify failed");
  });

  // --- redaction ------------------------------------------------------------
  const R = 50_000;
  const logLine = "POST /v1/messages 200 in 231ms user=alice model=claude tokens=1234 path=src/index.ts";
  const obj = {
    req: { headers: { authorization: "Bearer abcdefghijklmnop", accept: "json" }, url: "/v1/messages" },
    usage: { input_tokens: 12 },
  };
  await measure("redactString (ordinary log line)", "lines/s", R, () => {
    for (let i = 0; i < R; i++) redactString(logLine);
  });
  await measure("redact (small request object)", "objects/s", R, () => {
    for (let i = 0; i < R; i++) redact(obj);
  });

  // --- report ---------------------------------------------------------------
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
  const w = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`\n${"benchmark".padEnd(w)}  ${"rate".padStart(14)}  unit\n`);
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(w)}  ${fmt(r.perSecond).padStart(14)}  ${r.unit}${r.note ? `  (${r.note})` : ""}\n`,
    );
  const tail = rows.find((r) => r.name === "audit_tail (file, parse=true)")!;
  const anchor = rows[0];
  const nodeV = rows.find((r) => r.name.startsWith("ed25519 verify (node"))!;
  const nobleV = rows.find((r) => r.name.startsWith("ed25519 verify (@noble"))!;
  const summary = {
    line_bytes: lineBytes,
    audit_tail_events_per_s: Math.round(tail.perSecond),
    audit_tail_target_met: tail.perSecond >= 100_000,
    audit_tail_vs_anchor: Number((tail.perSecond / anchor.perSecond).toFixed(2)),
    ed25519_verify_node_per_s: Math.round(nodeV.perSecond),
    ed25519_verify_noble_per_s: Math.round(nobleV.perSecond),
    node_over_noble: Number((nodeV.perSecond / nobleV.perSecond).toFixed(1)),
  };
  process.stdout.write(
    `\naudit_tail: ${fmt(tail.perSecond)} events/s on ${lineBytes}-byte lines (target 100,000: ${summary.audit_tail_target_met ? "met" : "NOT met"}; ${summary.audit_tail_vs_anchor}× the raw read anchor)\n` +
      `ed25519 verify: node:crypto is ${summary.node_over_noble}× @noble/ed25519\n\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ benchmark: "@ostk/lib", node: process.version, summary, rows })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
