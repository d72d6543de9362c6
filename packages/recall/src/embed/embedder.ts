/** Turns texts into unit-length vectors. Implementations: static table (trained here), hashed features, ONNX. */
export interface Embedder {
  /** Stable id stored with the vectors; a different id means re-embedding everything. */
  readonly id: string;
  readonly dim: number;
  /** One line for `recall_status`: which embedder runs and why. */
  readonly description: string;
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Optional learned doc→code term translation score (0..1), used as a reranker feature. */
  translate?(queryTerms: string[], chunkTerms: Set<string>): number;
}

/** What the models see of a chunk (the embedder, the cross-encoder): its path and symbol, then its text. */
export function embedText(c: { path: string; symbol: string | null; text: string }): string {
  return `${c.path} ${c.symbol ?? ""}\n${c.text}`;
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

/** FNV-1a 32-bit. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
