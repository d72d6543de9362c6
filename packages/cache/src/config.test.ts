import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, minTokensFor, resolveConfig } from "./config";
import { parseWindow, summarize } from "./ledger/summarize";

describe("config", () => {
  it("layers defaults < .ostk/config.toml < OSTK_CACHE_* env < flags", () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-cache-cfg-"));
    mkdirSync(join(ws, ".ostk"));
    const file = join(ws, ".ostk", "config.toml");
    writeFileSync(
      file,
      '[cache]\nport = 9000\nmode = "rebuild"\nupstream = "http://file.example"\n[cache.enrich]\nenabled = true\ntoken_budget = 300\n[cache.min_cache_tokens]\n"my-model" = 2000\n',
    );
    const { config, warnings, provenance } = loadConfig(
      ws,
      { port: 9100 },
      {
        OSTK_CACHE_MODE: "passthrough",
        OSTK_CACHE_PORT: "9050",
        OSTK_CACHE_REDIS_URL: "redis://127.0.0.1:6379",
      },
    );
    expect(config.port).toBe(9100);
    expect(config.mode).toBe("passthrough");
    expect(config.upstream).toBe("http://file.example");
    expect(config.openaiUpstream).toBe("http://file.example");
    expect(config.enrich).toMatchObject({ enabled: true, tokenBudget: 300 });
    expect(config.responseCache).toMatchObject({ driver: "redis", redisUrl: "redis://127.0.0.1:6379" });
    expect(minTokensFor(config, "my-model")).toBe(2000);
    expect(warnings).toEqual([]);
    expect(provenance).toMatchObject({
      port: { kind: "option", name: "port" },
      mode: { kind: "env", name: "OSTK_CACHE_MODE" },
      upstream: { kind: "file", file },
      openaiUpstream: { kind: "derived", from: "upstream" },
      host: { kind: "default" },
    });
    rmSync(ws, { recursive: true, force: true });
  });

  it("an unknown key in [cache] stops the proxy with a suggestion (it was a warning)", () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-cache-cfg-"));
    mkdirSync(join(ws, ".ostk"));
    const file = join(ws, ".ostk", "config.toml");
    writeFileSync(file, "[cache]\nprot = 9000\n[cache.response_cache]\nttl = 5\n");
    expect(() => loadConfig(ws, {}, {})).toThrow(
      `cache.prot: unknown setting (did you mean port?) (in ${file})\n  cache.response_cache.ttl: unknown setting (did you mean ttl_ms?) (in ${file})`,
    );
    rmSync(ws, { recursive: true, force: true });
  });

  it("rejects bad values with every problem listed: key, value, expectation, source", () => {
    expect(() => resolveConfig({ mode: "fast" as never, port: 70000, upstream: "ftp://x" })).toThrow(
      [
        'cache.mode: must be one of "passthrough", "mutate", "rebuild", "rebuild-kernel", got "fast" (option mode)',
        "cache.port: must be an integer from 0 to 65535, got 70000 (option port)",
        'cache.upstream: must be an http(s) URL, got "ftp://x" (option upstream)',
      ].join("\n  "),
    );
    expect(() =>
      loadConfig("/nonexistent", {}, { OSTK_CACHE_PORT: "80a", OSTK_CACHE_ENRICH: "maybe" }),
    ).toThrow(
      /cache\.port: must be an integer from 0 to 65535, got "80a" \(env OSTK_CACHE_PORT\)[\s\S]*cache\.enrich\.enabled: must be 1, 0, true/,
    );
  });

  it("never echoes a Redis URL's password, and requires a URL with the redis driver", () => {
    let message = "";
    try {
      resolveConfig({ responseCache: { driver: "redis", redisUrl: "http://u:hunter22@h" } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("cache.response_cache.redis_url: must be a redis:// or rediss:// URL");
    expect(message).toContain("got [REDACTED]");
    expect(message).not.toContain("hunter22");
    expect(() => resolveConfig({ responseCache: { driver: "redis" } })).toThrow(
      'cache.response_cache.driver: is "redis" but response_cache.redis_url is not set (option responseCache.driver)',
    );
  });
});

describe("ledger summary", () => {
  it("filters by window and nets savings (which may be negative)", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    const row = (ts: string, cost: number, uncached: number) =>
      ({
        ts,
        status: 200,
        input_tokens: 10,
        cache_read_tokens: 90,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
        output_tokens: 5,
        cost_usd: cost,
        uncached_cost_usd: uncached,
        response_cache: "miss",
        model: "m",
      }) as never;
    const rows = [row("2026-01-01T23:30:00Z", 1, 3), row("2026-01-01T00:00:00Z", 5, 4)];
    expect(summarize(rows, "1h", now)).toMatchObject({
      requests: 1,
      net_saving_usd: 2,
      prompt_cache_hit_rate: 0.9,
    });
    expect(summarize(rows, "all", now)).toMatchObject({ requests: 2, net_saving_usd: 1 });
    expect(() => parseWindow("yesterday")).toThrow(/--window/);
  });
});
