import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { termFrequencies } from "../tokenize.js";
import { type Embedder, fnv1a, normalize } from "./embedder.js";

/**
 * Static token-embedding table (model2vec-style): a text's vector is the
 * IDF-weighted mean of its terms' rows. The table is trained in this repo
 * (packages/recall/training) from (documentation, code) pairs of npm packages
 * and ships as `assets/static-embedder.bin.gz`. Terms missing from the
 * vocabulary hash into a small set of shared buckets.
 *
 * File format (after gunzip): JSON header line `{"v":1,"dim":D,"buckets":B,"vocab":[...],"idf":[...],"scale":S}\n`
 * followed by (vocab.length + buckets) × dim int8 values.
 */
export class StaticEmbedder implements Embedder {
  readonly id: string;
  readonly description: string;
  private readonly index = new Map<string, number>();

  constructor(
    readonly dim: number,
    vocab: string[],
    private readonly idf: Float32Array,
    private readonly table: Int8Array,
    private readonly buckets: number,
    version: string,
    private readonly assoc: number[][] = [],
  ) {
    for (let i = 0; i < vocab.length; i++) this.index.set(vocab[i], i);
    this.id = `static-${version}-${dim}`;
    this.description = `static (trained token table ${version}: ${vocab.length} terms, ${dim} dims, shipped in the package)`;
  }

  static assetPath(): string {
    // src/embed/ in development and tests, dist/ once built
    for (const rel of ["../../assets/static-embedder.bin.gz", "../assets/static-embedder.bin.gz"]) {
      const p = fileURLToPath(new URL(rel, import.meta.url));
      if (existsSync(p)) return p;
    }
    return fileURLToPath(new URL("../../assets/static-embedder.bin.gz", import.meta.url));
  }

  static async loadShipped(): Promise<StaticEmbedder | null> {
    const p = StaticEmbedder.assetPath();
    if (!existsSync(p)) return null;
    return StaticEmbedder.fromBuffer(gunzipSync(readFileSync(p)));
  }

  static fromBuffer(buf: Buffer): StaticEmbedder {
    const nl = buf.indexOf(10);
    const h = JSON.parse(buf.subarray(0, nl).toString("utf8")) as {
      dim: number;
      buckets: number;
      vocab: string[];
      idf: number[];
      version: string;
      assoc?: number[][];
    };
    const body = buf.subarray(nl + 1);
    const table = new Int8Array(body.buffer, body.byteOffset, (h.vocab.length + h.buckets) * h.dim);
    return new StaticEmbedder(
      h.dim,
      h.vocab,
      Float32Array.from(h.idf),
      table,
      h.buckets,
      h.version,
      h.assoc ?? [],
    );
  }

  /**
   * Learned doc→code translation score in 0..1: for each query term, 1 when the chunk contains it,
   * else the strongest learned association (relative PMI, × 0.8) with a term the chunk contains.
   */
  translate(queryTerms: string[], chunkTerms: Set<string>): number {
    if (!queryTerms.length) return 0;
    let total = 0;
    for (const t of queryTerms) {
      if (chunkTerms.has(t)) {
        total += 1;
        continue;
      }
      const i = this.index.get(t);
      const list = i === undefined ? undefined : this.assoc[i];
      if (!list?.length) continue;
      const top = list[1];
      let best = 0;
      for (let j = 0; j < list.length; j += 2) {
        if (list[j + 1] <= best * top) break;
        if (chunkTerms.has(this.vocabAt(list[j]))) best = Math.max(best, list[j + 1] / top);
      }
      total += 0.8 * best;
    }
    return total / queryTerms.length;
  }

  private vocabList: string[] | null = null;
  private vocabAt(i: number): string {
    this.vocabList ??= [...this.index.keys()];
    return this.vocabList[i];
  }

  private row(term: string): [number, number] {
    const i = this.index.get(term);
    if (i !== undefined) return [i, this.idf[i]];
    return [this.index.size + (fnv1a(term) % this.buckets), 1];
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dim);
    const tf = termFrequencies(text);
    for (const [t, n] of tf) {
      const [r, idf] = this.row(t);
      const w = idf * (1 + Math.log(n));
      const off = r * this.dim;
      for (let k = 0; k < this.dim; k++) v[k] += w * this.table[off + k];
    }
    return normalize(v);
  }
}
