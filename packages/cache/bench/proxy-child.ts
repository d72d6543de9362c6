// Starts one proxy for the benchmark in its own process (so its CPU can be read from /proc):
//   tsx bench/proxy-child.ts bare <upstream>       bare @fastify/http-proxy
//   tsx bench/proxy-child.ts ostk <upstream> <mode> ostk-cache (from dist/: build first)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import httpProxy from "@fastify/http-proxy";
import Fastify from "fastify";

const [kind, upstream, mode = "mutate"] = process.argv.slice(2);
if (kind === "bare") {
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  await app.register(httpProxy, { upstream, prefix: "/", http2: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const a = app.server.address() as { port: number };
  process.stdout.write(`URL http://127.0.0.1:${a.port}\n`);
} else {
  // ostk-cache as it ships (tsup's build in dist/, which `pnpm bench` builds first), not the sources
  // through tsx: its transform adds a __name() call for every function created at run time.
  const { startCacheProxy } = (await import(
    new URL("../dist/index.js", import.meta.url).href
  )) as typeof import("../src/index");
  const workspace = mkdtempSync(join(tmpdir(), "ostk-cache-bench-"));
  const p = await startCacheProxy({
    workspace,
    port: 0,
    upstream,
    mode: mode as "mutate",
    ignoreConfigFiles: true,
    followChanges: false,
  });
  process.stdout.write(`URL ${p.url}\nWORKSPACE ${workspace}\n`);
}
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
