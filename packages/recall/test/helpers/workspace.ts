import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const FIXTURE: Record<string, string> = {
  ".gitignore": "dist/\n*.log\n",
  "src/http/parse-header.ts": `/** Parse a raw HTTP header line into a name and a value. */
export function parseHTTPHeader(line: string): [string, string] {
  const i = line.indexOf(":");
  return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
}
`,
  "src/cache/lru.ts": `export class LruCache<K, V> {
  private map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  /** Evict the least recently used entry when the cache is full. */
  set(key: K, value: V): void {
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }
}
`,
  "src/retry.py": `def retry_with_backoff(fn, attempts=3):
    """Call fn again after an exponential delay when it raises."""
    for i in range(attempts):
        try:
            return fn()
        except Exception:
            sleep(2 ** i)
`,
  "src/server.go": `package server

// ListenAndServe starts the HTTP server on the given address.
func ListenAndServe(addr string) error {
	return nil
}
`,
  "docs/guide.md":
    "# Guide\n\n## Configuration\n\nSet the port in config.toml.\n\n## Deployment\n\nShip the binary.\n",
  "dist/bundle.js": "function parseHTTPHeader() {}\n",
  "debug.log": "parseHTTPHeader noise\n",
  "image.png": "\u0000\u0001binary",
};

export function makeWorkspace(files: Record<string, string> = FIXTURE): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "recall-ws-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
