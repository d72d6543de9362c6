import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CacheStore } from "../src/store/cache-store";

/** The one behaviour every response-cache driver must have. `make` gets a controllable clock. */
export function storeConformance(name: string, make: (now: () => number) => Promise<CacheStore>) {
  describe(`CacheStore conformance: ${name}`, () => {
    let store: CacheStore;
    let clock = 1_000_000;
    beforeEach(async () => {
      clock = Date.now();
      store = await make(() => clock);
    });
    afterEach(() => store.close());

    it("returns what was stored, byte for byte, and nothing for unknown keys", async () => {
      const value = Buffer.from([0, 1, 2, 255, 254]);
      await store.set("k1", { value, tags: [], ttlMs: 60_000 });
      expect(await store.get("k1")).toEqual(value);
      expect(await store.get("nope")).toBeUndefined();
    });

    it("overwrites and deletes", async () => {
      await store.set("k", { value: Buffer.from("a"), tags: [], ttlMs: 60_000 });
      await store.set("k", { value: Buffer.from("b"), tags: [], ttlMs: 60_000 });
      expect((await store.get("k"))?.toString()).toBe("b");
      await store.delete("k");
      expect(await store.get("k")).toBeUndefined();
    });

    it("stops serving an entry after its TTL", async () => {
      await store.set("short", { value: Buffer.from("x"), tags: [], ttlMs: 50 });
      clock += 100;
      await new Promise((r) => setTimeout(r, 100));
      expect(await store.get("short")).toBeUndefined();
    });

    it("marks entries stale by tag, honouring the minimum number of matching tags", async () => {
      await store.set("a", { value: Buffer.from("a"), tags: ["p:1", "l:1", "l:2"], ttlMs: 60_000 });
      await store.set("b", { value: Buffer.from("b"), tags: ["p:2", "l:1"], ttlMs: 60_000 });
      expect(await store.markStale(["l:1", "l:2"], 2)).toBe(1);
      expect(await store.get("a")).toBeUndefined();
      expect((await store.get("b"))?.toString()).toBe("b");
      expect(await store.markStale(["p:2"])).toBe(1);
      expect(await store.get("b")).toBeUndefined();
      expect(await store.markStale(["p:unknown"])).toBe(0);
      expect((await store.stats()).stale).toBe(2);
    });

    it("a fresh write clears a stale mark", async () => {
      await store.set("a", { value: Buffer.from("1"), tags: ["p:1"], ttlMs: 60_000 });
      await store.markStale(["p:1"]);
      await store.set("a", { value: Buffer.from("2"), tags: ["p:1"], ttlMs: 60_000 });
      expect((await store.get("a"))?.toString()).toBe("2");
    });

    it("prunes stale entries and the oldest ones over a size budget", async () => {
      for (let i = 0; i < 5; i++) {
        clock += 1;
        await store.set(`k${i}`, { value: Buffer.alloc(100, i), tags: [`p:${i}`], ttlMs: 60_000 });
      }
      await store.markStale(["p:4"]);
      expect(await store.prune(250)).toBe(3);
      const s = await store.stats();
      expect(s.entries).toBe(2);
      expect(s.bytes).toBe(200);
      expect(await store.get("k0")).toBeUndefined();
      expect(await store.get("k3")).toBeDefined();
    });
  });
}
