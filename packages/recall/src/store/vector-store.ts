import "./lance-env.js";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from "apache-arrow";
import { lanceWhere, onlySources, type ResolvedFilter } from "./filter.js";

export interface VectorHit {
  id: string;
  distance: number;
}

export interface VectorRow {
  id: string;
  path: string;
  lang: string;
  /** Default `code`. */
  source?: string;
  ts?: number | null;
  vector: Float32Array;
}

const TABLE = "chunks";

/**
 * Chunk vectors in LanceDB (`.ostk/recall/vectors`), keyed by chunk id.
 * Exact (flat) search while small; an HNSW-SQ index once the table passes a threshold.
 */
export class VectorStore {
  private constructor(
    private readonly db: lancedb.Connection,
    private table: lancedb.Table,
    readonly dim: number,
  ) {}

  static async open(dir: string, dim: number): Promise<VectorStore> {
    const db = await lancedb.connect(dir);
    const names = await db.tableNames();
    let table: lancedb.Table | undefined;
    if (names.includes(TABLE)) {
      table = await db.openTable(TABLE);
      const schema = await table.schema();
      const vf = schema.fields.find((f) => f.name === "vector");
      const existingDim = (vf?.type as FixedSizeList | undefined)?.listSize;
      const hasFilterColumns = ["source", "ts"].every((n) => schema.fields.some((f) => f.name === n));
      // another width, or written before source/time filters: the chunk table is rebuilt too (schema version)
      if (existingDim !== dim || !hasFilterColumns) {
        await db.dropTable(TABLE);
        table = undefined;
      }
    }
    if (!table) {
      const schema = new Schema([
        new Field("id", new Utf8(), false),
        new Field("path", new Utf8(), false),
        new Field("lang", new Utf8(), false),
        new Field("source", new Utf8(), false),
        new Field("ts", new Float64(), true),
        new Field("vector", new FixedSizeList(dim, new Field("item", new Float32(), true)), false),
      ]);
      table = await db.createEmptyTable(TABLE, schema, { mode: "overwrite" });
    }
    return new VectorStore(db, table, dim);
  }

  /** Drop every vector (used when the embedder changes). */
  async reset(): Promise<void> {
    await this.table.delete("true");
  }

  async add(rows: VectorRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 5000) {
      const batch = rows.slice(i, i + 5000).map((r) => ({
        id: r.id,
        path: r.path,
        lang: r.lang,
        source: r.source ?? "code",
        ts: r.ts ?? null,
        vector: Array.from(r.vector),
      }));
      await this.table.add(batch);
    }
  }

  async remove(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const list = ids
        .slice(i, i + 500)
        .map((id) => `'${id.replace(/'/g, "''")}'`)
        .join(",");
      await this.table.delete(`id IN (${list})`);
    }
  }

  async count(): Promise<number> {
    return this.table.countRows();
  }

  async ids(): Promise<string[]> {
    const rows = await this.table.query().select(["id"]).toArray();
    return rows.map((r) => String(r.id));
  }

  async hasIndex(): Promise<boolean> {
    const idx = await this.table.listIndices();
    return idx.some((i) => i.columns.includes("vector"));
  }

  /** Build (or rebuild) the HNSW index. */
  async buildIndex(): Promise<void> {
    await this.table.createIndex("vector", {
      config: lancedb.Index.hnswSq({ distanceType: "cosine", m: 16, efConstruction: 100 }),
      replace: true,
    });
  }

  async optimize(): Promise<void> {
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
  }

  async search(vector: Float32Array, limit: number, filter: ResolvedFilter = {}): Promise<VectorHit[]> {
    if (onlySources(filter)) {
      // A `where` on the source costs LanceDB a scan of that column (≈ 10 ms at 100k rows with HNSW):
      // leaving out a minor source (journal events, by default) is cheaper as a post-filter of a wider
      // search; fall back to the `where` when too few rows are left.
      const wanted = new Set<string>(filter.sources);
      const rows = await this.table
        .vectorSearch(Array.from(vector))
        .distanceType("cosine")
        .select(["id", "source", "_distance"])
        .limit(limit * 2)
        .toArray();
      const kept = rows.filter((r) => wanted.has(String(r.source)));
      if (kept.length >= limit || rows.length < limit * 2)
        return kept.slice(0, limit).map((r) => ({ id: String(r.id), distance: Number(r._distance) }));
    }
    let q = this.table
      .vectorSearch(Array.from(vector))
      .distanceType("cosine")
      .select(["id", "_distance"])
      .limit(limit);
    const where = lanceWhere(filter);
    if (where) q = q.where(where);
    const rows = await q.toArray();
    return rows.map((r) => ({ id: String(r.id), distance: Number(r._distance) }));
  }

  close(): void {
    this.table.close();
    this.db.close();
  }
}
