import { nodeModule } from "../util/node.js";
import { fileKey, TAIL_PROOF_BYTES } from "./tail-cursor.js";

/** What a tailer remembers about a file it has read from. */
export interface Consumed {
  offset: number;
  tail: Buffer;
}

export interface LineAt {
  line: string;
  /** Byte offset just past this line's newline. */
  end: number;
}

/** An open file being followed: consumed position, the unterminated remainder, and a proof of the consumed bytes. */
export class OpenFile {
  partial: Buffer = Buffer.alloc(0);
  tail: Buffer = Buffer.alloc(0);
  constructor(
    readonly path: string,
    readonly fd: number,
    readonly dev: number,
    readonly ino: number,
    public pos: number,
  ) {}

  get key(): string {
    return fileKey(this.dev, this.ino);
  }

  static open(path: string, start?: Consumed): OpenFile | null {
    const fs = nodeModule("node:fs");
    let fd: number;
    try {
      fd = fs.openSync(path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    const st = fs.fstatSync(fd, { bigint: true });
    const f = new OpenFile(path, fd, Number(st.dev), Number(st.ino), 0);
    if (start && start.offset > 0 && start.offset <= Number(st.size) && f.proves(start.offset, start.tail)) {
      f.pos = start.offset;
      f.tail = start.tail;
    }
    return f;
  }

  /** True when the bytes just before `offset` are `tail` (an empty proof always holds). */
  proves(offset: number, tail: Buffer): boolean {
    if (tail.length === 0) return true;
    if (offset < tail.length) return false;
    const fs = nodeModule("node:fs");
    const buf = Buffer.allocUnsafe(tail.length);
    const n = fs.readSync(this.fd, buf, 0, tail.length, offset - tail.length);
    return n === tail.length && buf.equals(tail);
  }

  /** Still the same content we consumed (not truncated or rewritten under us). */
  intact(): boolean {
    return this.proves(this.pos, this.tail);
  }

  size(): number {
    return Number(nodeModule("node:fs").fstatSync(this.fd).size);
  }

  /** Creation time when the filesystem records it, else mtime. */
  bornNs(): bigint {
    const st = nodeModule("node:fs").fstatSync(this.fd, { bigint: true });
    return st.birthtimeNs > 0n ? st.birthtimeNs : st.mtimeNs;
  }

  /**
   * Reads the next chunk; returns complete lines (with end offsets), or null at
   * EOF, or "truncated" when the consumed prefix no longer matches.
   */
  read(buf: Buffer, maxLineBytes: number): LineAt[] | null | "truncated" {
    const fs = nodeModule("node:fs");
    const n = fs.readSync(this.fd, buf, 0, buf.length, this.pos + this.partial.length);
    if (n === 0) return null;
    if (this.pos > 0 && !this.intact()) return "truncated";
    const data = this.partial.length ? Buffer.concat([this.partial, buf.subarray(0, n)]) : buf.subarray(0, n);
    const base = this.pos;
    const lines: LineAt[] = [];
    let start = 0;
    let nl = data.indexOf(10, start);
    while (nl !== -1) {
      lines.push({ line: data.toString("utf8", start, nl), end: base + nl + 1 });
      start = nl + 1;
      nl = data.indexOf(10, start);
    }
    if (start > 0) {
      this.pos = base + start;
      const proof = data.subarray(Math.max(0, start - TAIL_PROOF_BYTES), start);
      this.tail =
        proof.length >= TAIL_PROOF_BYTES
          ? Buffer.from(proof)
          : Buffer.concat([this.tail, proof]).subarray(-TAIL_PROOF_BYTES);
      this.tail = Buffer.from(this.tail);
    }
    this.partial = Buffer.from(data.subarray(start));
    if (this.partial.length > maxLineBytes) {
      throw new Error(`${this.path}: a line at offset ${this.pos} is longer than ${maxLineBytes} bytes`);
    }
    return lines;
  }

  /** The unterminated remainder as a final line (used when the file is finished: rotated away). */
  flushPartial(): LineAt | null {
    if (this.partial.length === 0) return null;
    const line = { line: this.partial.toString("utf8"), end: this.pos + this.partial.length };
    this.pos = line.end;
    this.tail = Buffer.from(Buffer.concat([this.tail, this.partial]).subarray(-TAIL_PROOF_BYTES));
    this.partial = Buffer.alloc(0);
    return line;
  }

  consumed(): Consumed {
    return { offset: this.pos, tail: this.tail };
  }

  close(): void {
    try {
      nodeModule("node:fs").closeSync(this.fd);
    } catch {}
  }
}
