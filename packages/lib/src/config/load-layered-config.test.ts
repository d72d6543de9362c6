import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, formatConfigIssue } from "./config-error.js";
import { explainConfig, formatExplainedConfig } from "./explain-config.js";
import { type ConfigSpec, loadLayeredConfig, loadLayeredConfigOrThrow } from "./load-layered-config.js";

interface DemoConfig {
  port: number;
  mode: "fast" | "slow";
  upstream: string;
  verbose: boolean;
  ignore: string[];
  apiKey?: string;
  table: [string, number][];
  store: { driver: "sqlite" | "redis"; redisUrl?: string; ttlMs: number };
}

const spec: ConfigSpec<DemoConfig> = {
  layer: "demo",
  section: "demo",
  defaults: {
    port: 8080,
    mode: "fast",
    upstream: "https://example.com",
    verbose: false,
    ignore: [],
    table: [["a", 1]],
    store: { driver: "sqlite", ttlMs: 1000 },
  },
  fields: {
    port: { type: "integer", min: 0, max: 65535 },
    mode: { type: "string", enum: ["fast", "slow"] },
    upstream: { type: "string", url: ["http:", "https:"] },
    verbose: { type: "boolean" },
    ignore: { type: "string[]" },
    apiKey: { type: "string" },
    table: { type: "int-table", min: 0 },
    store: {
      type: "section",
      fields: {
        driver: { type: "string", enum: ["sqlite", "redis"] },
        redisUrl: { type: "string", url: ["redis:", "rediss:"], secret: true },
        ttlMs: { type: "integer", min: 1 },
      },
    },
  },
  env: [
    { name: "DEMO_PORT", key: "port" },
    { name: "DEMO_MODE", key: "mode" },
    { name: "DEMO_VERBOSE", key: "verbose" },
    { name: "DEMO_REDIS", key: "store.redisUrl" },
    { name: "DEMO_REDIS", key: "store.driver", value: () => "redis" },
  ],
  finalize(config, ctx) {
    if (config.store.driver === "redis" && !config.store.redisUrl)
      ctx.fail("store.redisUrl", "is required with the redis driver");
  },
};

const dirs: string[] = [];
function file(name: string, text: string): string {
  const d = mkdtempSync(join(tmpdir(), "ostk-lib-config-"));
  dirs.push(d);
  writeFileSync(join(d, name), text);
  return join(d, name);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function issuesOf(r: ReturnType<typeof loadLayeredConfig>): string[] {
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.issues.map(formatConfigIssue);
}

describe("loadLayeredConfig precedence", () => {
  it("uses the defaults when no layer sets anything, all from `default`", () => {
    const r = loadLayeredConfigOrThrow(spec, { files: ["/nonexistent/config.toml"], env: {} });
    expect(r.config).toEqual(spec.defaults);
    expect(new Set(Object.values(r.provenance).map((s) => s.kind))).toEqual(new Set(["default"]));
  });

  it("file over defaults, a later file over an earlier one, env over files, flags over env", () => {
    const a = file("a.toml", '[demo]\nport = 1\nmode = "slow"\nverbose = true\n[demo.store]\nttl_ms = 5\n');
    const b = file("b.toml", "[demo]\nport = 2\n");
    const r = loadLayeredConfigOrThrow(spec, {
      files: [a, b],
      env: { DEMO_PORT: "3", DEMO_VERBOSE: "0" },
      flags: { verbose: true, store: { ttlMs: undefined } },
      flagNames: { verbose: "--verbose" },
    });
    expect(r.config).toMatchObject({
      port: 3,
      mode: "slow",
      verbose: true,
      store: { driver: "sqlite", ttlMs: 5 },
    });
    expect(r.provenance.port).toEqual({ kind: "env", name: "DEMO_PORT" });
    expect(r.provenance.mode).toEqual({ kind: "file", file: a });
    expect(r.provenance["store.ttlMs"]).toEqual({ kind: "file", file: a });
    expect(r.provenance.verbose).toEqual({ kind: "flag", name: "--verbose" });
    expect(r.provenance.upstream).toEqual({ kind: "default" });
  });

  it("accepts camelCase keys in files, int tables in both shapes, and JSON files", () => {
    const toml = file("c.toml", '[demo]\n[demo.table]\n"x.*" = 5\n[demo.store]\nttlMs = 9\n');
    expect(loadLayeredConfigOrThrow(spec, { files: [toml] }).config).toMatchObject({
      table: [["x.*", 5]],
      store: { ttlMs: 9 },
    });
    const json = file("c.json", JSON.stringify({ demo: { port: 7 } }));
    expect(
      loadLayeredConfigOrThrow(spec, { files: [json], flags: { table: [["y", 2]] } }).config,
    ).toMatchObject({
      port: 7,
      table: [["y", 2]],
    });
  });

  it("one env variable may set two keys; finalize checks what depends on both", () => {
    const r = loadLayeredConfigOrThrow(spec, { env: { DEMO_REDIS: "redis://h:6379" } });
    expect(r.config.store).toMatchObject({ driver: "redis", redisUrl: "redis://h:6379" });
    expect(issuesOf(loadLayeredConfig(spec, { flags: { store: { driver: "redis" } } }))).toEqual([
      "demo.store.redis_url: is required with the redis driver (default)",
    ]);
  });
});

describe("loadLayeredConfig errors", () => {
  it("a bad file value names the key, the value, what was expected and the file", () => {
    const f = file("config.toml", '[demo]\nport = 70000\nmode = "medium"\n');
    expect(issuesOf(loadLayeredConfig(spec, { files: [f] }))).toEqual([
      `demo.port: must be an integer from 0 to 65535, got 70000 (in ${f})`,
      `demo.mode: must be one of "fast", "slow", got "medium" (in ${f})`,
    ]);
  });

  it("a bad env value names the variable; a bad flag names the flag; every problem is reported", () => {
    const r = loadLayeredConfig(spec, {
      env: { DEMO_PORT: "80x", DEMO_VERBOSE: "maybe" },
      flags: { upstream: "ftp://x" },
      flagNames: { upstream: "--upstream" },
    });
    expect(issuesOf(r)).toEqual([
      'demo.port: must be an integer from 0 to 65535, got "80x" (env DEMO_PORT)',
      'demo.verbose: must be 1, 0, true, false, yes, no, on or off, got "maybe" (env DEMO_VERBOSE)',
      'demo.upstream: must be an http(s) URL, got "ftp://x" (flag --upstream)',
    ]);
    expect(r.ok || r.error).toBeInstanceOf(ConfigError);
    if (!r.ok) {
      expect(r.error.code).toBe("ConfigInvalid");
      expect(r.error.message).toMatch(/^invalid demo configuration:\n {2}demo\.port/);
      expect(r.error.message).toMatch(/Nothing was started or written/);
    }
  });

  it("an unknown key is an error with a did-you-mean, and its value is never shown", () => {
    const f = file(
      "config.toml",
      '[demo]\nprot = 1\n[demo.store]\ntll_ms = 2\nzzzzzz = "sk-ant-abcdefghijklmnopqrstuvwxyz"\n',
    );
    const lines = issuesOf(loadLayeredConfig(spec, { files: [f] }));
    expect(lines).toEqual([
      `demo.prot: unknown setting (did you mean port?) (in ${f})`,
      `demo.store.tll_ms: unknown setting (did you mean ttl_ms?) (in ${f})`,
      `demo.store.zzzzzz: unknown setting (in ${f})`,
    ]);
  });

  it("secret values are redacted: by key name, by field, and by pattern", () => {
    const r = loadLayeredConfig(spec, {
      flags: {
        apiKey: 42,
        store: { redisUrl: "http://user:hunter22@h" },
        ignore: "sk-ant-abcdefghijklmnopqrstuvwxyz",
      },
    });
    const text = issuesOf(r).join("\n");
    expect(text).toContain("demo.api_key: must be a string, got [REDACTED]");
    expect(text).toContain("demo.store.redis_url: must be a redis or rediss URL, got [REDACTED]");
    expect(text).toContain("demo.ignore: must be a list of strings");
    expect(text).not.toMatch(/hunter22|abcdefghijklmnop|42/);
  });

  it("a TOML syntax error names the file, line and column but never echoes the file's text", () => {
    const f = file("config.toml", 'api_key = "sk-ant-abcdefghijklmnopqrstuvwxyz"\n[demo\n');
    const lines = issuesOf(loadLayeredConfig(spec, { files: [f] }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid TOML \\(line 2, column \\d+: `),
    );
    expect(lines[0]).not.toContain("sk-ant");
  });

  it("a required file that is missing is an error; a section that is not a table is an error", () => {
    expect(
      issuesOf(loadLayeredConfig(spec, { files: [{ path: "/nonexistent/x.toml", required: true }] })),
    ).toEqual(["/nonexistent/x.toml: file not found"]);
    const f = file("config.toml", "demo = 3\n");
    expect(issuesOf(loadLayeredConfig(spec, { files: [f] }))).toEqual([
      `demo: must be a table, got 3 (in ${f})`,
    ]);
  });

  it("top-level layers reject unknown keys but not their siblings' tables", () => {
    const top: ConfigSpec<{ pin: string }> = {
      layer: "top",
      defaults: { pin: "default" },
      fields: { pin: { type: "string" } },
      siblings: ["cache", "recall"],
    };
    const f = file("config.toml", "[cache]\nport = 1\n[recal]\nx = 1\n");
    expect(issuesOf(loadLayeredConfig(top, { files: [f] }))).toEqual([
      `recal: unknown setting (did you mean recall?) (in ${f})`,
    ]);
  });
});

describe("field types", () => {
  it("lists of allowed items, from a file or comma-separated from the environment", () => {
    const list: ConfigSpec<{ layers: string[] }> = {
      layer: "app",
      defaults: { layers: ["a"] },
      fields: { layers: { type: "string[]", items: ["a", "b"], nonEmpty: true } },
      env: [{ name: "APP_LAYERS", key: "layers" }],
    };
    expect(loadLayeredConfigOrThrow(list, { env: { APP_LAYERS: "b, a" } }).config.layers).toEqual(["b", "a"]);
    expect(issuesOf(loadLayeredConfig(list, { flags: { layers: [] } }))).toEqual([
      "layers: must be a non-empty list of a, b, got [] (option layers)",
    ]);
    expect(issuesOf(loadLayeredConfig(list, { env: { APP_LAYERS: "a,c" } }))).toEqual([
      'layers: must be a non-empty list of a, b, got "a,c" (env APP_LAYERS)',
    ]);
  });
});

describe("explainConfig", () => {
  it("lists every setting with its value (secrets redacted) and the layer that set it", () => {
    const f = file("config.toml", '[demo]\nmode = "slow"\napi_key = "hunter2-hunter2"\n');
    const r = loadLayeredConfigOrThrow(spec, { files: [f], env: { DEMO_PORT: "9" } });
    const rows = explainConfig(spec, r.config, r.provenance);
    expect(rows.find((x) => x.key === "demo.port")).toMatchObject({ value: "9", from: "env DEMO_PORT" });
    expect(rows.find((x) => x.key === "demo.mode")).toMatchObject({ value: '"slow"', from: f });
    expect(rows.find((x) => x.key === "demo.api_key")).toMatchObject({
      value: "[REDACTED]",
      json: "[REDACTED]",
      from: f,
    });
    expect(rows.find((x) => x.key === "demo.table")).toMatchObject({ json: [["a", 1]], from: "default" });
    expect(rows.find((x) => x.key === "demo.store.redis_url")).toMatchObject({
      value: undefined,
      from: "default",
    });
    const table = formatExplainedConfig(rows);
    expect(table.split("\n")[0]).toMatch(/^key\s+value\s+from$/);
    expect(table).not.toContain("hunter2");
  });
});
