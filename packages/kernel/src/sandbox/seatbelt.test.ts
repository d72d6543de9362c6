import { describe, expect, it } from "vitest";
import { sbplString, seatbeltProfile } from "./seatbelt.js";

describe("seatbeltProfile", () => {
  it("denies by default, allows the workspace and denies protected paths after it", () => {
    const p = seatbeltProfile({ workspace: "/Users/me/proj", tmpDir: "/private/tmp/ostk-sb-1" });
    const lines = p.trim().split("\n");
    expect(lines[0]).toBe("(version 1)");
    expect(lines[1]).toBe("(deny default)");
    const allowWrite = lines.findIndex((l) => l.startsWith("(allow file-read* file-write* "));
    const denyWrite = lines.findIndex((l) => l.startsWith("(deny file-write* "));
    expect(lines[allowWrite]).toContain('(subpath "/Users/me/proj")');
    expect(lines[allowWrite]).toContain('(subpath "/private/tmp/ostk-sb-1")');
    expect(denyWrite).toBeGreaterThan(allowWrite);
    expect(lines[denyWrite]).toContain('(subpath "/Users/me/proj/.ostk")');
    expect(lines[denyWrite]).toContain('(subpath "/Users/me/proj/.git/hooks")');
    expect(p).toContain("(deny file-write-mode file-write-owner)");
    expect(p).not.toContain("(allow network");
  });

  it("opens exactly the configured TCP ports", () => {
    const p = seatbeltProfile({ workspace: "/w", policy: { network: { connect: [443], bind: [3000] } } });
    expect(p).toContain('(allow network-outbound (remote tcp "*:443"))');
    expect(p).toContain('(allow network-bind network-inbound (local tcp "*:3000"))');
    expect(seatbeltProfile({ workspace: "/w", policy: { network: "open" } })).toContain("(allow network*)");
    expect(
      seatbeltProfile({ workspace: "/w", policy: { network: { connect: ["127.0.0.1:5432"] } } }),
    ).toContain('(allow network-outbound (remote tcp "localhost:5432"))');
    expect(() =>
      seatbeltProfile({ workspace: "/w", policy: { network: { connect: ["10.0.0.5:443"] } } }),
    ).toThrow(/cannot restrict a connection to 10.0.0.5:443/);
  });

  it("escapes quotes and refuses control characters in paths", () => {
    expect(sbplString('/a"b\\c')).toBe('"/a\\"b\\\\c"');
    expect(() => sbplString("/a\nb")).toThrow(/control character/);
  });
});
