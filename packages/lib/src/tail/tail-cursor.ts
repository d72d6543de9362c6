/** Where a tailer stands: the file (device + inode) and the byte offset just past the last line delivered. */
export interface TailCursor {
  dev: number;
  ino: number;
  offset: number;
}

/** Identity of a file across renames. */
export const fileKey = (dev: number | bigint, ino: number | bigint) => `${dev}:${ino}`;

/** Bytes kept from the end of the consumed region of each file, to recognise it (truncation, inode reuse): several whole lines, so the proof includes their distinct fields (seq, ts, sig). */
export const TAIL_PROOF_BYTES = 1024;
