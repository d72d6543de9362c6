import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  entryHash,
  entryLine,
  GENESIS_HASH,
  type JournalCheckpoint,
  type JournalEntry,
  type JournalSeal,
  sealFileName,
  sealRecordName,
} from "../src/journal/entry.js";
import { sha256Hex } from "../src/journal/hash.js";
import type { Signer } from "../src/journal/sign.js";

/** Writes a signed journal the way JOURNAL.md describes: live file, sealed epochs, checkpoint. */
export class TestJournal {
  readonly path: string;
  readonly sealsDir: string;
  readonly checkpointPath: string;
  entries: JournalEntry[] = [];
  private prev = GENESIS_HASH;
  private epoch = 0;
  private epochFirst = 1;
  private liveBytes = 0;

  constructor(
    readonly dir: string,
    readonly signer: Signer,
  ) {
    this.path = join(dir, "journal.jsonl");
    this.sealsDir = join(dir, "journal-seals");
    this.checkpointPath = join(dir, "journal.checkpoint");
    writeFileSync(this.path, "");
  }

  append(n: number): void {
    let text = "";
    for (let i = 0; i < n; i++) {
      const seq = this.entries.length + 1;
      const e = this.signer.signEntry({
        v: 1,
        seq,
        ts: 1_700_000_000_000 + seq,
        event: "fs.commit",
        actor: { id: "agent-1", kind: "agent" },
        path: `src/f${seq % 7}.ts`,
        gen_before: seq - 1,
        gen_after: seq,
        hash_after: sha256Hex(`content ${seq}`),
        data: { op: "write", note: seq % 5 === 0 ? "héllo ✓" : "plain" },
        prev_hash: this.prev,
        key_id: "",
      });
      this.prev = entryHash(e);
      this.entries.push(e);
      text += `${entryLine(e)}\n`;
    }
    writeFileSync(this.path, text, { flag: "a" });
    this.liveBytes += Buffer.byteLength(text);
  }

  /** Moves the live file into journal-seals/ with a signed seal record. */
  rotate(): void {
    mkdirSync(this.sealsDir, { recursive: true });
    this.epoch++;
    const sealed = join(this.sealsDir, sealFileName(this.epoch));
    renameSync(this.path, sealed);
    const seal = this.signer.signRecord<JournalSeal>({
      v: 1,
      epoch: this.epoch,
      first_seq: this.epochFirst,
      last_seq: this.entries.length,
      head_hash: this.prev,
      file_sha256: sha256Hex(readFileSync(sealed)),
      ts: 1_700_000_000_000,
    });
    writeFileSync(join(this.sealsDir, sealRecordName(this.epoch)), JSON.stringify(seal));
    writeFileSync(this.path, "");
    this.epochFirst = this.entries.length + 1;
    this.liveBytes = 0;
  }

  /** A signed checkpoint at the current head of the live file. */
  checkpoint(): JournalCheckpoint {
    const cp = this.signer.signRecord<JournalCheckpoint>({
      v: 1,
      epoch: 0,
      seq: this.entries.length,
      offset: this.liveBytes,
      head_hash: this.prev,
      ts: 1_700_000_000_000,
    });
    writeFileSync(this.checkpointPath, JSON.stringify(cp));
    return cp;
  }

  liveLines(): string[] {
    return readFileSync(this.path, "utf8").split("\n").slice(0, -1);
  }

  writeLive(lines: string[]): void {
    writeFileSync(this.path, lines.map((l) => `${l}\n`).join(""));
  }
}
