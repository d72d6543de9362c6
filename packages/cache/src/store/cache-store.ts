/** One stored response: opaque bytes plus the tags used for invalidation. */
export interface StoreEntry {
  value: Buffer;
  /** Tags (hashed paths and content lines of the request) that can mark this entry stale. */
  tags: string[];
  ttlMs: number;
}

export interface StoreStats {
  entries: number;
  bytes: number;
  stale: number;
}

/**
 * The response cache's storage seam. Drivers: SQLite (embedded default) and Redis/Valkey (shared
 * by a team). Every driver passes the same conformance suite (`test/store-conformance.ts`).
 */
export interface CacheStore {
  readonly driver: string;
  /** The value, or undefined when missing, expired or stale. */
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, entry: StoreEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Marks stale every entry carrying at least `minMatches` of `tags`; returns how many. */
  markStale(tags: string[], minMatches?: number): Promise<number>;
  /** Drops expired entries and, over `maxBytes`, the oldest ones; returns how many were removed. */
  prune(maxBytes?: number): Promise<number>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
