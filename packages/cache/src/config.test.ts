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
    writeFileSync(
      join(ws, ".ostk", "config.toml"),
      '[cache]\nport = 9000\nmode = "rebuild"\nupstream = "http://file.example"\nbogus = 1\n[cache.enrich]\nenabled = true\ntoken_budget = 300\n[cache.min_cache_tokens]\n"my-model" = 2000\n',
    );
    const { config, warnings } = loadConfig(
      ws,
      { port: 9100 },
      { OSTK_CACHE_MODE: "passthrough", OSTK_CACHE_PORT: "9050" },
    );
    expect(config.port).toBe(9100);
    expect(config.mode).toBe("passthrough");
    expect(config.upstream).toBe("http://file.example");
    expect(config.openaiUpstream).toBe("http://file.example");
    expect(config.enrich).toMatchObject({ enabled: true, tokenBudget: 300 });
    expect(minTokensFor(config, "my-model")).toBe(2000);
    expect(warnings).toEqual(["config: unknown key cache.bogus ignored"]);
    rmSync(ws, { recursive: true, force: true });
  });

  it("rejects bad values with every problem listed", () => {
    expect(() => resolveConfig({ mode: "fast" as never, port: 70000, upstream: "ftp://x" })).toThrow(
      /mode: must be one of[\s\S]*port: must be 0\.\.65535[\s\S]*upstream: must be an http\(s\) URL/,
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
