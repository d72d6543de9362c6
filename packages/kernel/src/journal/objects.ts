import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { sha256Hex } from "@ostk/lib";
import { tempNameFor } from "../util/durable.js";

/**
 * Content-addressed store under `.ostk/objects/ab/cdef…`: every content a write produced (and every
 * baseline the kernel observed) so an intent can be rolled forward and an edit merged against the
 * content its caller read.
 */
export class ObjectStore {
  /** Recent contents by hash (LRU by insertion), so merges never wait for the file to be written. */
  private recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(
    readonly dir: string,
    private readonly cacheBytes = 32 * 1024 * 1024,
  ) {}

  /** Keep content in memory only (its durable copy is elsewhere, e.g. inline in a journal intent). */
  remember(hash: string, content: Buffer): null {
    this.rememberBuf(hash, content);
    return null;
  }

  private rememberBuf(hash: string, content: Buffer): void {
    if (content.length > this.cacheBytes / 4 || this.recent.has(hash)) return;
    this.recent.set(hash, content);
    this.recentBytes += content.length;
    for (const [h, b] of this.recent) {
      if (this.recentBytes <= this.cacheBytes) break;
      this.recent.delete(h);
      this.recentBytes -= b.length;
    }
  }

  pathOf(hash: string): string {
    return path.join(this.dir, hash.slice(0, 2), hash.slice(2));
  }

  has(hash: string): boolean {
    return fs.existsSync(this.pathOf(hash));
  }

  /** Store content; returns its sha256. Idempotent. `sync` fsyncs the object before returning. */
  async put(content: Buffer, hash = sha256Hex(content), sync = false): Promise<string> {
    this.rememberBuf(hash, content);
    const p = this.pathOf(hash);
    if (fs.existsSync(p)) return hash;
    await fsp.mkdir(path.dirname(p), { recursive: true });
    const tmp = tempNameFor(p);
    const fh = await fsp.open(tmp, "wx", 0o444);
    try {
      await fh.writeFile(content);
      if (sync) await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, p);
    return hash;
  }

  /** Content for `hash`, or null when absent or corrupt (hash mismatch). */
  async get(hash: string): Promise<Buffer | null> {
    const hit = this.recent.get(hash);
    if (hit) return hit;
    try {
      const buf = await fsp.readFile(this.pathOf(hash));
      return sha256Hex(buf) === hash ? buf : null;
    } catch {
      return null;
    }
  }
}
