import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { CacheStore, StoreEntry } from "./cache-store";

/** SQLite driver (WAL): `entries` keyed by cache key, `tags` as a (tag, key) index. */
export function createSqliteStore(opts: { path: string; now?: () => number }): CacheStore {
  if (opts.path !== ":memory:") mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`
    CREATE TABLE IF NOT EXISTS entries (
      key TEXT PRIMARY KEY, value BLOB NOT NULL, created INTEGER NOT NULL,
      expires INTEGER NOT NULL, size INTEGER NOT NULL, stale INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (tag, key)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS tags_key ON tags(key);
    CREATE INDEX IF NOT EXISTS entries_created ON entries(created);
  `);
  const now = opts.now ?? Date.now;
  const getStmt = db.prepare("SELECT value FROM entries WHERE key = ? AND stale = 0 AND expires > ?");
  const putStmt = db.prepare(
    "INSERT OR REPLACE INTO entries (key, value, created, expires, size, stale) VALUES (?, ?, ?, ?, ?, 0)",
  );
  const delTags = db.prepare("DELETE FROM tags WHERE key = ?");
  const putTag = db.prepare("INSERT OR IGNORE INTO tags (tag, key) VALUES (?, ?)");
  const delEntry = db.prepare("DELETE FROM entries WHERE key = ?");
  const set = db.transaction((key: string, e: StoreEntry) => {
    const t = now();
    putStmt.run(key, e.value, t, t + e.ttlMs, e.value.length);
    delTags.run(key);
    for (const tag of new Set(e.tags)) putTag.run(tag, key);
  });
  const remove = db.transaction((keys: string[]) => {
    for (const k of keys) {
      delEntry.run(k);
      delTags.run(k);
    }
  });
  return {
    driver: "sqlite",
    async get(key) {
      const row = getStmt.get(key, now()) as { value: Buffer } | undefined;
      return row?.value;
    },
    async set(key, entry) {
      set(key, entry);
    },
    async delete(key) {
      remove([key]);
    },
    async markStale(tags, minMatches = 1) {
      if (tags.length === 0) return 0;
      const unique = [...new Set(tags)];
      const counts = new Map<string, number>();
      const q = db.prepare("SELECT key FROM tags WHERE tag = ?");
      for (const tag of unique)
        for (const { key } of q.all(tag) as { key: string }[]) counts.set(key, (counts.get(key) ?? 0) + 1);
      const keys = [...counts].filter(([, n]) => n >= minMatches).map(([k]) => k);
      const mark = db.prepare("UPDATE entries SET stale = 1 WHERE key = ? AND stale = 0");
      let n = 0;
      db.transaction(() => {
        for (const k of keys) n += mark.run(k).changes;
      })();
      return n;
    },
    async prune(maxBytes) {
      const expired = db.prepare("SELECT key FROM entries WHERE expires <= ? OR stale = 1").all(now()) as {
        key: string;
      }[];
      const keys = expired.map((r) => r.key);
      remove(keys);
      let removed = keys.length;
      if (maxBytes !== undefined) {
        let { total } = db.prepare("SELECT COALESCE(SUM(size), 0) AS total FROM entries").get() as {
          total: number;
        };
        if (total > maxBytes) {
          const rows = db.prepare("SELECT key, size FROM entries ORDER BY created ASC").all() as {
            key: string;
            size: number;
          }[];
          const drop: string[] = [];
          for (const r of rows) {
            if (total <= maxBytes) break;
            drop.push(r.key);
            total -= r.size;
          }
          remove(drop);
          removed += drop.length;
        }
      }
      return removed;
    },
    async stats() {
      const r = db
        .prepare(
          "SELECT COUNT(*) AS entries, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(stale), 0) AS stale FROM entries",
        )
        .get() as { entries: number; bytes: number; stale: number };
      return r;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
