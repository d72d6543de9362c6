import { type LedgerRow, startCacheProxy } from "@ostk/cache";
import { describe, expect, it } from "vitest";
import { probeCache } from "../../src/orchestrator/cache-probe.js";
import { createProvider } from "../../src/orchestrator/provider-factory.js";
import { orchestratorEnv } from "./harness.js";

describe("ostk run through @ostk/cache (OSTK_CACHE_URL)", () => {
  it.each(["anthropic/claude-haiku-4-5", "openai/gpt-4.1"])(
    "%s: every model call goes through the proxy and its ledger row carries the run's trace",
    async (from) => {
      await using t = await orchestratorEnv();
      const rows: LedgerRow[] = [];
      const proxy = await startCacheProxy({
        workspace: t.env.workspace,
        ignoreConfigFiles: true,
        host: "127.0.0.1",
        port: 0,
        upstream: t.up.url,
        openaiUpstream: t.up.url,
        followChanges: false,
        onRow: (r) => rows.push(r),
      });
      try {
        t.write("a.txt", "x\n");
        const af = t.agentfile(`FROM ${from}\nTASK read a.txt\nTOOL file:read\n`);
        t.up.enqueue({ toolUses: [{ name: "read", input: { path: "a.txt" } }] }, { text: "done" });
        const { provider, viaCache } = createProvider(af.from, {
          env: { ...t.providerEnv, OSTK_CACHE_URL: proxy.url },
          maxRetries: 0,
        });
        expect(viaCache).toBe(true);
        const s = await t.run(af, { provider });
        expect(s.status).toBe("finished");
        expect(t.up.requests).toHaveLength(2);
        await new Promise((r) => setTimeout(r, 50));
        expect(rows.map((r) => [r.trace_id, r.status])).toEqual([
          [s.trace_id, 200],
          [s.trace_id, 200],
        ]);
        // The proxy does not store the key: its ledger holds an HMAC id only.
        expect(JSON.stringify(rows)).not.toContain("test-key");
      } finally {
        await proxy.close();
      }
    },
  );

  it("probeCache recognises a running proxy and nothing else", async () => {
    await using t = await orchestratorEnv();
    const proxy = await startCacheProxy({
      workspace: t.env.workspace,
      ignoreConfigFiles: true,
      host: "127.0.0.1",
      port: 0,
      upstream: t.up.url,
      followChanges: false,
    });
    try {
      expect(await probeCache(proxy.url)).toBe(true);
      expect(await probeCache(t.up.url)).toBe(false); // the fake model upstream is not a cache
      expect(await probeCache("http://127.0.0.1:9")).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});
