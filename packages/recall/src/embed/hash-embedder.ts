import { termFrequencies } from "../tokenize.js";
import { type Embedder, fnv1a, normalize } from "./embedder.js";

/**
 * Weight-free embedder: signed feature hashing of split, stemmed identifier
 * terms plus their character trigrams, log-scaled term frequencies. Needs no
 * download and no asset; it is the floor every other embedder falls back to.
 */
export class HashEmbedder implements Embedder {
  readonly id: string;
  readonly description: string;
  constructor(readonly dim = 256) {
    this.id = `hash-v1-${dim}`;
    this.description = `hash (feature-hashed terms + character trigrams, ${dim} dims, no weights)`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dim);
    const tf = termFrequencies(text);
    for (const [t, n] of tf) {
      const w = 1 + Math.log(n);
      add(v, `w:${t}`, w);
      if (t.length > 3) {
        const padded = `^${t}$`;
        for (let i = 0; i + 3 <= padded.length; i++) add(v, `g:${padded.slice(i, i + 3)}`, 0.35 * w);
      }
    }
    return normalize(v);
  }
}

function add(v: Float32Array, feature: string, w: number): void {
  const h = fnv1a(feature);
  v[h % v.length] += h & 0x80000000 ? -w : w;
}
