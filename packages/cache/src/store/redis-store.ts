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
  /** Every indexed key, oldest first, with its size and stale flag (one pipelined round trip). */
  const scan = async () => {
    const keys = await redis.zrange(`${p}idx`, "0", "-1");
    if (keys.length === 0) return [];
    const m = redis.multi();
    for (const k of keys) m.strlen(e(k)).exists(`${p}s:${k}`);
    const r = (await m.exec()) ?? [];
    return keys.map((key, i) => ({ key, size: r[2 * i][1] as number, stale: r[2 * i + 1][1] as number }));
  };
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
      if (keys.length === 0) return 0;
      const ttls = ((await keys.reduce((m, k) => m.pttl(e(k)), redis.multi()).exec()) ?? []).map(
        ([, t]) => t as number,
      );
      const marks = keys.reduce(
        (m, k, i) => (ttls[i] > 0 ? m.set(`${p}s:${k}`, "1", "PX", ttls[i], "NX") : m),
        redis.multi(),
      );
      const marked = (await marks.exec()) ?? [];
      return marked.filter(([, r]) => r === "OK").length;
    },
    async prune(maxBytes) {
      const live = await scan();
      let removed = 0;
      const drop = live.filter((x) => !x.size || x.stale).map((x) => x.key);
      let total = live.filter((x) => x.size && !x.stale).reduce((s, x) => s + x.size, 0);
      if (maxBytes !== undefined)
        for (const x of live) {
          if (total <= maxBytes) break;
          if (!x.size || x.stale) continue;
          drop.push(x.key);
          total -= x.size;
        }
      for (const k of drop) {
        await this.delete(k);
        removed++;
      }
      return removed;
    },
    async stats() {
      const live = (await scan()).filter((x) => x.size > 0);
      return {
        entries: live.length,
        bytes: live.reduce((s, x) => s + x.size, 0),
        stale: live.filter((x) => x.stale).length,
      };
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
