import { Redis } from "ioredis";
import type { CacheStore } from "./cache-store";

/**
 * Redis/Valkey driver: `<prefix>e:<key>` holds the value (PX = TTL), `<prefix>t:<tag>` a set of
 * keys, `<prefix>s:<key>` a stale marker, `<prefix>idx` a sorted set (score = created) for pruning.
 */
export function createRedisStore(opts: { url: string; prefix?: string; now?: () => number }): CacheStore {
  const redis = new Redis(opts.url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  redis.on("error", () => {
    // Connection errors surface on the failing command; the proxy then treats the lookup as a miss.
  });
  const p = opts.prefix ?? "ostk:cache:";
  const now = opts.now ?? Date.now;
  const e = (k: string) => `${p}e:${k}`;
  return {
    driver: "redis",
    async get(key) {
      const [[, value], [, stale]] = (await redis
        .multi()
        .getBuffer(e(key))
        .exists(`${p}s:${key}`)
        .exec()) as [[unknown, Buffer | null], [unknown, number]];
      if (!value || stale) return undefined;
      return value;
    },
    async set(key, entry) {
      const m = redis.multi().set(e(key), entry.value, "PX", entry.ttlMs).del(`${p}s:${key}`);
      m.zadd(`${p}idx`, now(), key);
      for (const tag of new Set(entry.tags)) m.sadd(`${p}t:${tag}`, key).pexpire(`${p}t:${tag}`, entry.ttlMs);
      await m.exec();
    },
    async delete(key) {
      await redis.multi().del(e(key)).del(`${p}s:${key}`).zrem(`${p}idx`, key).exec();
    },
    async markStale(tags, minMatches = 1) {
      const unique = [...new Set(tags)];
      if (unique.length === 0) return 0;
      const m = redis.multi();
      for (const tag of unique) m.smembers(`${p}t:${tag}`);
      const res = (await m.exec()) ?? [];
      const counts = new Map<string, number>();
      for (const [, members] of res)
        for (const k of members as string[]) counts.set(k, (counts.get(k) ?? 0) + 1);
      const keys = [...counts].filter(([, n]) => n >= minMatches).map(([k]) => k);
      let n = 0;
      for (const k of keys) {
        const ttl = await redis.pttl(e(k));
        if (ttl <= 0) continue;
        const created = await redis.set(`${p}s:${k}`, "1", "PX", ttl, "NX");
        if (created) n++;
      }
      return n;
    },
    async prune(maxBytes) {
      const keys = await redis.zrange(`${p}idx`, "0", "-1");
      let removed = 0;
      const live: { key: string; size: number }[] = [];
      for (const k of keys) {
        const [[, size], [, stale]] = (await redis.multi().strlen(e(k)).exists(`${p}s:${k}`).exec()) as [
          [unknown, number],
          [unknown, number],
        ];
        if (!size || stale) {
          await this.delete(k);
          removed++;
        } else live.push({ key: k, size });
      }
      if (maxBytes !== undefined) {
        let total = live.reduce((s, x) => s + x.size, 0);
        for (const x of live) {
          if (total <= maxBytes) break;
          await this.delete(x.key);
          total -= x.size;
          removed++;
        }
      }
      return removed;
    },
    async stats() {
      const keys = await redis.zrange(`${p}idx`, "0", "-1");
      let entries = 0;
      let bytes = 0;
      let stale = 0;
      for (const k of keys) {
        const [[, size], [, s]] = (await redis.multi().strlen(e(k)).exists(`${p}s:${k}`).exec()) as [
          [unknown, number],
          [unknown, number],
        ];
        if (!size) continue;
        entries++;
        bytes += size;
        stale += s;
      }
      return { entries, bytes, stale };
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
