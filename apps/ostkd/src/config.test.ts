import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS, loadOstkdConfig } from "./config.js";

const dirs: string[] = [];
function workspace(toml?: string): string {
  const d = mkdtempSync(join(tmpdir(), "ostkd-config-"));
  dirs.push(d);
  if (toml !== undefined) {
    mkdirSync(join(d, ".ostk"));
    writeFileSync(join(d, ".ostk", "config.toml"), toml);
  }
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("loadOstkdConfig", () => {
  it("uses the defaults for a workspace without a config file", () => {
    const r = loadOstkdConfig(workspace(), {}, {});
    expect(r.ok && r.config).toEqual(DEFAULTS);
  });

  it("applies flags over OSTK_* env over [ostkd] in .ostk/config.toml", () => {
    const ws = workspace('[ostkd]\nlog_level = "debug"\nshutdown_timeout_ms = 1000\nlayers = ["kernel"]\n');
    const r = loadOstkdConfig(
      ws,
      { shutdown_timeout_ms: 3000 },
      { OSTK_LOG_LEVEL: "warn", OSTK_SHUTDOWN_TIMEOUT_MS: "2000" },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.layers).toEqual(["kernel"]);
    expect(r.config.log_level).toBe("warn");
    expect(r.config.shutdown_timeout_ms).toBe(3000);
  });

  it("reports every problem as `path: message`, across the app's and the layers' sections", () => {
    const ws = workspace(
      '[ostkd]\nlog_level = "loud"\nlayers = ["kernel", "gpu"]\n\n[journal]\nrotate_bytes = -1\n\n[cache]\nmode = "fast"\n',
    );
    const r = loadOstkdConfig(ws, {}, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ostkd\.log_level: must be one of/),
        expect.stringMatching(/^ostkd\.layers: must be a non-empty list/),
      ]),
    );
    // layers is invalid, so the defaults (all layers) are validated: the kernel and the cache sections too.
    expect(r.errors.some((e) => e.startsWith("journal.rotate_bytes:"))).toBe(true);
    expect(r.errors.some((e) => e.startsWith("cache.mode:"))).toBe(true);
  });

  it("validates cache flags through the cache's own loader", () => {
    const r = loadOstkdConfig(workspace(), { cache: { upstream: "ftp://nope" } }, {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toMatch(/cache\.upstream: must be an http\(s\) URL/);
  });

  it("refuses unknown [ostkd] keys with a suggestion, and does not trip over the layers' sections", () => {
    const ws = workspace('[ostkd]\nlog_levl = "warn"\n\n[recall]\ndebounce_ms = 100\n');
    const r = loadOstkdConfig(ws, {}, {});
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        `ostkd.log_levl: unknown setting (did you mean log_level?) (in ${join(ws, ".ostk", "config.toml")})`,
      ]);
    const ok = loadOstkdConfig(
      workspace('[ostkd]\nlayers = ["cache", "kernel"]\n\n[recall]\ndebounce_ms = 100\n'),
      {},
      {},
    );
    expect(ok.ok && ok.config.layers).toEqual(["kernel", "cache"]);
  });

  it("names the env variable or flag that set a bad value", () => {
    const r = loadOstkdConfig(
      workspace(),
      { shutdown_timeout_ms: Number("soon") },
      { OSTK_LAYERS: "kernel,gpu" },
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        'ostkd.layers: must be a non-empty list of kernel, recall, cache, got "kernel,gpu" (env OSTK_LAYERS)',
        "ostkd.shutdown_timeout_ms: must be a positive integer, got NaN (flag --shutdown-timeout)",
      ]);
  });

  it("fails on a TOML syntax error with the file name, once", () => {
    const r = loadOstkdConfig(workspace("[ostkd\n"), {}, {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/config\.toml: not valid TOML \(line 1, /);
    }
  });
});
