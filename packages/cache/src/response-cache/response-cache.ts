import type { CacheStore } from "../store/cache-store";
import type { Json } from "../wire/anthropic";
import { seal, sealKey, unseal } from "./sealed";
import { invalidationTags } from "./tags";

export interface ResponseCacheOptions {
  store: CacheStore;
  secret: Buffer;
  ttlMs: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  workspace: string;
}

/** A cached final response (the assembled message / completion / response object). */
export interface CachedResponse {
  route: string;
  body: Json;
}

/**
 * Exact-match response cache over a CacheStore: sealed entries, size and TTL limits, coalescing of
 * identical in-flight requests, stale marking by changed paths/content.
 */
export class ResponseCache {
  private readonly inflight = new Map<string, Promise<CachedResponse | undefined>>();
  private puts = 0;
  constructor(private readonly opts: ResponseCacheOptions) {}

  get store(): CacheStore {
    return this.opts.store;
  }

  async get(key: string, apiKey: string): Promise<CachedResponse | undefined> {
    const sealed = await this.opts.store.get(key).catch(() => undefined);
    if (!sealed) return undefined;
    const plain = unseal(sealKey(this.opts.secret, apiKey), sealed);
    return plain ? (JSON.parse(plain.toString("utf8")) as CachedResponse) : undefined;
  }

  async put(key: string, apiKey: string, value: CachedResponse, tags: string[]): Promise<boolean> {
    const plain = Buffer.from(JSON.stringify(value));
    if (plain.length > this.opts.maxEntryBytes) return false;
    await this.opts.store.set(key, {
      value: seal(sealKey(this.opts.secret, apiKey), plain),
      tags,
      ttlMs: this.opts.ttlMs,
    });
    if (++this.puts % 100 === 0) await this.opts.store.prune(this.opts.maxTotalBytes).catch(() => 0);
    return true;
  }

  /** The pending result of an identical request already on its way upstream, if any. */
  pending(key: string): Promise<CachedResponse | undefined> | undefined {
    return this.inflight.get(key);
  }

  /** Registers this request as the leader for `key`; call the returned function with the outcome. */
  lead(key: string): (result: CachedResponse | undefined) => void {
    let resolve!: (r: CachedResponse | undefined) => void;
    this.inflight.set(key, new Promise((r) => (resolve = r)));
    return (result) => {
      this.inflight.delete(key);
      resolve(result);
    };
  }

  /** Marks stale every entry whose request mentioned one of the paths or carried the old content. */
  async invalidate(change: { paths?: string[]; contents?: string[] }): Promise<number> {
    const { pathTags, contentTags } = invalidationTags(this.opts.workspace, change);
    let n = await this.opts.store.markStale(pathTags, 1);
    for (const tags of contentTags)
      if (tags.length) n += await this.opts.store.markStale(tags, Math.min(3, tags.length));
    return n;
  }

  close(): Promise<void> {
    return this.opts.store.close();
  }
}
