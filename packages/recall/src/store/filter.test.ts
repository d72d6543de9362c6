import { describe, expect, it } from "vitest";
import { FilterError, globToRegExp, lanceWhere, parseTime, resolveFilter } from "./filter.js";

describe("time filters", () => {
  const now = Date.parse("2026-11-22T12:00:00Z");
  it("reads durations back from now, ISO dates and epoch milliseconds", () => {
    expect(parseTime("2h", now)).toBe(now - 2 * 3_600_000);
    expect(parseTime("7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseTime("30m", now)).toBe(now - 30 * 60_000);
    expect(parseTime("2w", now)).toBe(now - 14 * 86_400_000);
    expect(parseTime("2026-11-20", now)).toBe(Date.parse("2026-11-20"));
    expect(parseTime("2026-11-20T14:00Z", now)).toBe(Date.parse("2026-11-20T14:00Z"));
    expect(parseTime("1795000000000", now)).toBe(1795000000000);
  });
  it("refuses what it cannot read, saying which forms work", () => {
    expect(() => parseTime("yesterday", now)).toThrow(/ISO date.*2h/);
    expect(() => resolveFilter({ since: "1h", until: "2h" }, now)).toThrow(FilterError);
  });
});

describe("path globs", () => {
  it("** crosses directories, * does not, a bare pattern matches file names anywhere", () => {
    const ts = globToRegExp("src/**/*.ts");
    expect(ts.test("src/a.ts")).toBe(true);
    expect(ts.test("src/x/y/a.ts")).toBe(true);
    expect(ts.test("lib/src/a.ts")).toBe(false);
    expect(ts.test("src/a.tsx")).toBe(false);
    const one = globToRegExp("src/*.ts");
    expect(one.test("src/x/a.ts")).toBe(false);
    const md = globToRegExp("*.md");
    expect(md.test("README.md")).toBe(true);
    expect(md.test("docs/guide.md")).toBe(true);
    expect(md.test("docs/guide.mdx")).toBe(false);
    const alt = globToRegExp("src/{http,cache}/*.[tj]s");
    expect(alt.test("src/http/p.ts")).toBe(true);
    expect(alt.test("src/cache/l.js")).toBe(true);
    expect(alt.test("src/other/l.js")).toBe(false);
    expect(() => globToRegExp("src/[a")).toThrow(/unclosed/);
  });
});

describe("resolved filters", () => {
  it("defaults to every source but the journal, and builds the LanceDB where", () => {
    expect(resolveFilter({}).sources).toEqual(["code", "docs", "transcript"]);
    expect(resolveFilter({ source: ["code", "docs", "transcript", "journal"] }).sources).toBeUndefined();
    expect(() => resolveFilter({ source: ["email" as never] })).toThrow(/unknown source email/);
    const f = resolveFilter({ source: ["journal"], path: "src/**/*.ts", lang: "typescript", since: 1000 });
    expect(f.pathPrefix).toBe("src/");
    expect(lanceWhere(f)).toBe(
      "source IN ('journal') AND path LIKE 'src/%' AND regexp_like(path, '^src/(?:.*/)?[^/]*\\.ts$') AND lang = 'typescript' AND ts >= 1000",
    );
    expect(resolveFilter({ path: "src/http" })).toMatchObject({ pathPrefix: "src/http" });
  });
});
