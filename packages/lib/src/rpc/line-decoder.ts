/** Default cap on one frame (one JSON-RPC message line), in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** An oversize frame keeps only its first bytes (`head`), enough to find a response's `id`. */
export type Frame = { kind: "line"; text: string } | { kind: "oversize"; bytes: number; head: string };

const HEAD_BYTES = 256;

/**
 * Splits a byte stream into `\n`-terminated frames. A frame longer than
 * `maxFrameBytes` is skipped up to its newline (never buffered) and reported
 * once as `oversize`, so one bad frame cannot exhaust memory or kill the
 * connection.
 */
export class LineDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private skipping = 0;
  private head = "";

  /** `keepEmpty`: also report blank lines (a server with `onRawLine` gives them meaning). */
  constructor(
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    private readonly keepEmpty = false,
  ) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        const rest = chunk.length - start;
        if (this.skipping > 0) this.skipping += rest;
        else if (this.buffered + rest > this.maxFrameBytes) {
          this.head = this.headOf(chunk.subarray(start));
          this.skipping = this.buffered + rest;
          this.chunks = [];
          this.buffered = 0;
        } else {
          this.chunks.push(chunk.subarray(start));
          this.buffered += rest;
        }
        break;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping > 0) {
        frames.push({ kind: "oversize", bytes: this.skipping + piece.length, head: this.head });
        this.skipping = 0;
        this.head = "";
        continue;
      }
      const total = this.buffered + piece.length;
      if (total > this.maxFrameBytes) {
        frames.push({ kind: "oversize", bytes: total, head: this.headOf(piece) });
      } else {
        const text = this.chunks.length
          ? Buffer.concat([...this.chunks, piece], total).toString("utf8")
          : piece.toString("utf8");
        if (this.keepEmpty || text.trim() !== "") frames.push({ kind: "line", text });
      }
      this.chunks = [];
      this.buffered = 0;
    }
    return frames;
  }

  private headOf(tail: Buffer): string {
    const first = this.chunks.length ? Buffer.concat([...this.chunks, tail]) : tail;
    return first.subarray(0, HEAD_BYTES).toString("utf8");
  }

  /** Bytes of an unterminated frame still held. */
  get pending(): number {
    return this.buffered;
  }
}
