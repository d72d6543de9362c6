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

/** A cached final response: the body's JSON text plus the fields a replay needs without parsing it. */
export interface CachedResponse {
  route: string;
  id: string;
  usage: Json;
  /** The body's JSON bytes. */
  text: Buffer;
}

/** Packs a final response body for the cache. */
export function toCached(route: string, body: Json, raw?: Buffer): CachedResponse {
  return {
    route,
    id: String(body?.id ?? ""),
    usage: body?.usage ?? null,
    text: raw ?? Buffer.from(JSON.stringify(body)),
  };
}

// Stored as one JSON header line, a newline, then the body text (no re-parse of large bodies).
function encode(v: CachedResponse): Buffer {
  return Buffer.concat([
    Buffer.from(`${JSON.stringify({ route: v.route, id: v.id, usage: v.usage })}\n`),
    Buffer.from(v.text),
  ]);
}

function decode(b: Buffer): CachedResponse {
  const nl = b.indexOf(10);
  const head = JSON.parse(b.subarray(0, nl).toString("utf8"));
  return { ...head, text: b.subarray(nl + 1) };
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
    return plain ? decode(plain) : undefined;
  }

  async put(key: string, apiKey: string, value: CachedResponse, tags: string[]): Promise<boolean> {
    const plain = encode(value);
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
