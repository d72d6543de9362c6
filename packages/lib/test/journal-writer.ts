import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  truncateSync,
  writeSync,
} from "node:fs";

export type WriterOp =
  | { op: "append"; count: number; split?: boolean }
  | { op: "rename" }
  | { op: "copytruncate" }
  | { op: "replace"; count: number };

/** 200-byte JSONL test line for event `seq`. */
export function eventLine(seq: number): string {
  const base = JSON.stringify({ seq, event: "test.event", actor: { id: "w", kind: "kernel" }, pad: "" });
  return `${base.slice(0, -2)}${"x".repeat(Math.max(0, 199 - base.length))}"}\n`;
}

/**
 * A log writer that rotates the way real tools do: rename (`logrotate` default),
 * copy-truncate, and replacement by a new inode (write elsewhere, rename over).
 */
export class RotatingWriter {
  private fd: number | null = null;
  seq = 0;
  private rotations = 0;
  constructor(readonly path: string) {}

  private ensure(): number {
    if (this.fd === null) this.fd = openSync(this.path, "a");
    return this.fd;
  }

  apply(op: WriterOp): void {
    switch (op.op) {
      case "append": {
        const fd = this.ensure();
        let chunk = "";
        for (let i = 0; i < op.count; i++) chunk += eventLine(++this.seq);
        if (op.split && chunk.length > 10) {
          const cut = chunk.length - 7; // leave a partial last line for a moment
          writeSync(fd, chunk.slice(0, cut));
          writeSync(fd, chunk.slice(cut));
        } else writeSync(fd, chunk);
        break;
      }
      case "rename": {
        this.close();
        if (existsSync(this.path)) renameSync(this.path, `${this.path}.${++this.rotations}`);
        break;
      }
      case "copytruncate": {
        if (!existsSync(this.path)) break;
        const fd = this.ensure();
        fsyncSync(fd);
        copyFileSync(this.path, `${this.path}.ct${++this.rotations}`);
        truncateSync(this.path, 0);
        break;
      }
      case "replace": {
        this.close();
        const tmp = `${this.path}.tmp`;
        let chunk = "";
        for (let i = 0; i < op.count; i++) chunk += eventLine(++this.seq);
        appendFileSync(tmp, chunk);
        renameSync(tmp, this.path);
        break;
      }
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
