import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { trustedKeys } from "@ostk/kernel";
import { type JournalEntry, KernelClient, verifyJournal } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import {
  builtAll,
  eventually,
  integrityCheck,
  sqliteFiles,
  TEST_KEY,
  tempRoot,
  useFakeUpstream,
} from "./helpers.js";
import { startOstkd } from "./stacks.js";

const WRITES = 50;
const STREAMS = 5;

describe.skipIf(!builtAll)("SIGTERM under load", () => {
  const root = tempRoot("ostk-e2e-sigterm-");
  const up = useFakeUpstream(root);

  it(`finishes ${STREAMS} streams, loses no committed write of ${WRITES} concurrent ones, and leaves every database and the journal sound`, async () => {
    const stack = await startOstkd(root.workspace("load"), up.fake.url, root.env);
    const ws = stack.workspace;
    const [proc] = stack.procs;
    // Each stream takes ~1.5 s upstream: 30 events, 50 ms apart.
    up.fake.setDefault({ text: "word ".repeat(28).trim(), chunkDelayMs: 50 });
    const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: stack.proxy, maxRetries: 0 });
    const firstEvent: Promise<void>[] = [];
    const streams = Array.from({ length: STREAMS }, (_, i) => {
      let seen!: () => void;
      firstEvent.push(new Promise<void>((r) => (seen = r)));
      return (async () => {
        const stream = anthropic.messages.stream({
          model: "claude-sonnet-4-6",
          max_tokens: 256,
          messages: [{ role: "user", content: `stream ${i}: count some words` }],
        });
        stream.on("streamEvent", () => seen());
        stream.on("error", () => seen()); // a failed stream must not hang the wait below
        const msg = await stream.finalMessage();
        return msg.stop_reason;
      })();
    });
    await Promise.all(firstEvent);

    // 5 clients × 10 writes each, all in flight together, then SIGTERM while they run.
    const clients = await Promise.all(
      Array.from({ length: 5 }, (_, c) =>
        KernelClient.connect({
          socketPath: join(ws, ".ostk", "ostk.sock"),
          identity: { id: `load-${c}`, kind: "agent" },
          reconnect: false,
        }),
      ),
    );
    const writes = Array.from({ length: WRITES }, (_, i) =>
      clients[i % clients.length]
        .call("fs/write", { path: `load/file-${i}.txt`, content: `content of write ${i}\n`.repeat(200) })
        .then(
          (r) => ({ i, ok: true as const, seq: (r as { seq: number }).seq }),
          (err: Error) => ({ i, ok: false as const, error: err.message }),
        ),
    );
    const t0 = performance.now();
    proc.child.kill("SIGTERM");
    const results = await Promise.all(writes);
    const stopReasons = await Promise.all(streams);
    const code = await proc.exit;
    const shutdownMs = Math.round(performance.now() - t0);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));

    expect(code, proc.err).toBe(0);
    expect(stopReasons, "every in-flight stream ran to its end").toEqual(Array(STREAMS).fill("end_turn"));
    const committed = results.filter((r) => r.ok);
    console.log(
      `[e2e] sigterm: ${committed.length}/${WRITES} writes committed, ${WRITES - committed.length} refused, ${STREAMS} streams finished; shutdown ${shutdownMs} ms`,
    );
    expect(committed.length).toBeGreaterThan(0);
    for (const r of results.filter((r) => !r.ok)) expect(r.error).not.toBe("");

    // No committed write is lost: each acknowledged write is in the journal and on disk.
    const journal = join(ws, ".ostk", "journal.jsonl");
    const entries = readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JournalEntry);
    const bySeq = new Map(entries.map((e) => [e.seq, e]));
    for (const r of committed) {
      const e = bySeq.get(r.seq);
      expect(e?.event).toBe("fs.commit");
      expect(e?.path).toBe(`load/file-${r.i}.txt`);
      expect(readFileSync(join(ws, "load", `file-${r.i}.txt`), "utf8")).toBe(
        `content of write ${r.i}\n`.repeat(200),
      );
    }
    // Refused writes left no partial file behind.
    for (const r of results.filter((r) => !r.ok)) {
      const p = join(ws, "load", `file-${r.i}.txt`);
      if (existsSync(p)) expect(readFileSync(p, "utf8")).toBe(`content of write ${r.i}\n`.repeat(200));
    }

    // Every SQLite database passes integrity_check; the journal verifies (with its checkpoint).
    const dbs = sqliteFiles(join(ws, ".ostk"));
    expect(dbs.map((d) => d.slice(ws.length + 1)).sort()).toEqual(
      expect.arrayContaining([
        ".ostk/cache.db",
        ".ostk/sessions.db",
        ".ostk/telemetry.db",
        ".ostk/recall/index.sqlite",
      ]),
    );
    for (const db of dbs) expect(integrityCheck(db), db).toBe("ok");
    const verified = await verifyJournal(journal, { keys: trustedKeys(root.keyDir) });
    expect(verified.ok, JSON.stringify(verified.first_bad)).toBe(true);
    expect(verified.head_seq).toBeGreaterThanOrEqual(Math.max(...committed.map((r) => r.seq)));
    expect(verified.checkpoint?.ok, "the shutdown checkpoint covers the tail").toBe(true);

    // The ledger has the five streamed requests.
    await eventually(
      () =>
        readFileSync(join(ws, ".ostk", "memory", "ledger.jsonl"), "utf8")
          .trim()
          .split("\n").length >= STREAMS,
      1_000,
      "ledger rows for the streams",
    );
  }, 90_000);
});
