import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = new URL(".", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith(".ts") && !d.name.endsWith(".test.ts") ? [p] : [];
  });
}

describe("runtime boundary", () => {
  it("no library source statically imports node: builtins (browsers and workers can import @ostk/lib)", () => {
    const offenders = sources(src).filter((f) =>
      /^import\s+(?!type\b)[^;]*from\s+["']node:/m.test(readFileSync(f, "utf8")),
    );
    expect(offenders.map((f) => f.slice(src.length))).toEqual([]);
  });

  it("never imports the AGPL packages", () => {
    const offenders = sources(src).filter((f) =>
      /from\s+["']@ostk\/(kernel|recall|cache|ostkd)/.test(readFileSync(f, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
