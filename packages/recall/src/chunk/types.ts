/** A piece of a file that is indexed and returned as a hit. */
export interface Chunk {
  /** Deterministic: hash of source, path, symbol/position and content hash. */
  id: string;
  source: string;
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  symbol: string | null;
  /** function, class, method, type, section, window, … */
  kind: string;
  lang: string;
  text: string;
  /** When this content appeared (epoch ms): the file's mtime, the exchange's or the journal entry's time. */
  ts?: number | null;
}

/** A chunk before its id is assigned. */
export type RawChunk = Omit<Chunk, "id" | "source" | "path" | "lang" | "ts">;
