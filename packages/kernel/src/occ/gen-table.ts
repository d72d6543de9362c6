import * as fs from "node:fs";
import type { JournalEntry } from "@ostk/lib";
import { atomicWriteFileSync } from "../util/durable.js";

/** One row of the generation table. */
export interface GenRow {
  path: string;
  gen: number;
  /** sha256 of the content at `gen`; null when the file does not exist (deleted). */
  sha256: string | null;
  size: number;
  ino: number;
  mtime: number;
  ctime: number;
  writer: string;
  ts: number;
  /** Recent (gen, sha256) pairs, newest last, so an edit can be merged against what its caller read. */
  history: [number, string | null][];
}

const HISTORY = 32;

/**
 * The generation table, in memory, rebuilt from the journal at start (`fs.commit` / `fs.external`
 * carry gen_after and hash_after) and snapshotted to `.ostk/gen_table.json` with the seq it
 * reflects so start-up replays only the tail. A Map lookup costs ~0.1 µs on the hot path, where a
 * SQLite round-trip would cost microseconds, and the journal stays the only source of truth.
 */
export class GenTable {
  private rows = new Map<string, GenRow>();
  /** Seq of the last journal entry applied. */
  seq = 0;

  get(path: string): GenRow | undefined {
    return this.rows.get(path);
  }

  all(): GenRow[] {
    return [...this.rows.values()];
  }

  get size(): number {
    return this.rows.size;
  }

  set(row: Omit<GenRow, "history"> & { history?: GenRow["history"] }): GenRow {
    const prev = this.rows.get(row.path);
    const history = row.history ?? [...(prev?.history ?? [])];
    if (history[history.length - 1]?.[0] !== row.gen) history.push([row.gen, row.sha256]);
    while (history.length > HISTORY) history.shift();
    const full: GenRow = { ...row, history };
    this.rows.set(row.path, full);
    return full;
  }

  delete(path: string): void {
    this.rows.delete(path);
  }

  /** Hash the file had at generation `gen`, when still remembered. */
  hashAt(path: string, gen: number): string | null | undefined {
    const h = this.rows.get(path)?.history.find(([g]) => g === gen);
    return h ? h[1] : undefined;
  }

  /** Apply one committed journal entry (replay). */
  apply(e: JournalEntry): void {
    this.seq = Math.max(this.seq, e.seq);
    if ((e.event !== "fs.commit" && e.event !== "fs.external") || !e.path || e.gen_after === undefined)
      return;
    const op = e.data?.op;
    const base = { ino: 0, mtime: 0, ctime: 0, size: 0, writer: e.actor.id, ts: e.ts };
    if (op === "move" && typeof e.data?.to === "string") {
      const to = e.data.to;
      const toGen = typeof e.data.to_gen_after === "number" ? e.data.to_gen_after : e.gen_after;
      this.set({ ...base, path: e.path, gen: e.gen_after, sha256: null });
      this.set({
        ...base,
        path: to,
        gen: toGen,
        sha256: e.hash_after ?? null,
        size: Number(e.data.size ?? 0),
      });
      return;
    }
    if (op === "mkdir") return;
    this.set({
      ...base,
      path: e.path,
      gen: e.gen_after,
      sha256: e.hash_after ?? null,
      size: Number(e.data?.size ?? 0),
    });
  }

  save(file: string): void {
    atomicWriteFileSync(file, JSON.stringify({ v: 1, seq: this.seq, rows: [...this.rows.values()] }), 0o600);
  }

  static load(file: string): GenTable {
    const t = new GenTable();
    try {
      const data = JSON.parse(fs.readFileSync(file, "utf8")) as { v: number; seq: number; rows: GenRow[] };
      if (data.v === 1) {
        t.seq = data.seq;
        for (const r of data.rows) t.rows.set(r.path, r);
      }
    } catch {
      /* no snapshot: replay the whole journal */
    }
    return t;
  }
}
