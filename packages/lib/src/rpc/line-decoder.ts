/** Default cap on one frame (one JSON-RPC message line), in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

export type Frame = { kind: "line"; text: string } | { kind: "oversize"; bytes: number };

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

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        const rest = chunk.length - start;
        if (this.skipping > 0) this.skipping += rest;
        else if (this.buffered + rest > this.maxFrameBytes) {
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
        frames.push({ kind: "oversize", bytes: this.skipping + piece.length });
        this.skipping = 0;
        continue;
      }
      const total = this.buffered + piece.length;
      if (total > this.maxFrameBytes) {
        frames.push({ kind: "oversize", bytes: total });
      } else {
        const text = this.chunks.length
          ? Buffer.concat([...this.chunks, piece], total).toString("utf8")
          : piece.toString("utf8");
        if (text.trim() !== "") frames.push({ kind: "line", text });
      }
      this.chunks = [];
      this.buffered = 0;
    }
    return frames;
  }

  /** Bytes of an unterminated frame still held. */
  get pending(): number {
    return this.buffered;
  }
}
