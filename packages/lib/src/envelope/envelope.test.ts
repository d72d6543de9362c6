import { describe, expect, it } from "vitest";
import {
  type EnvelopeData,
  formatEnvelope,
  formatEnvelopeLine,
  parseEnvelope,
  parseEnvelopeLine,
} from "./envelope.js";

describe("envelope", () => {
  it("parses the reference kernel's lines into typed objects", () => {
    expect(parseEnvelopeLine("[procs] count:2 active:1 stale:1 dead:0")).toMatchObject({
      kind: "procs",
      count: 2,
      active: 1,
      stale: 1,
      dead: 0,
    });
    const files = parseEnvelopeLine("[files] src/lib.rs:gen=5:claude-code-1:12s C:/x/y.ts:gen=2:human:3m");
    expect(files).toMatchObject({
      kind: "files",
      files: [
        { path: "src/lib.rs", gen: 5, writer: "claude-code-1", age: "12s", ageMs: 12_000 },
        { path: "C:/x/y.ts", gen: 2, writer: "human", age: "3m", ageMs: 180_000 },
      ],
    });
    expect(parseEnvelopeLine("[304] src/main.ts:gen=4 (current)")).toMatchObject({
      kind: "304",
      path: "src/main.ts",
      gen: 4,
    });
    expect(parseEnvelopeLine("[loadavg] 0.52 0.61 0.70")).toMatchObject({
      load1: 0.52,
      load5: 0.61,
      load15: 0.7,
    });
    expect(parseEnvelopeLine("[meminfo] total:15.6G avail:9.2G used:41%")).toMatchObject({
      kind: "meminfo",
      totalBytes: Math.round(15.6 * 1024 ** 3),
      availableBytes: Math.round(9.2 * 1024 ** 3),
      usedPct: 41,
    });
    expect(parseEnvelopeLine("[ctx] session:s-1 turn:3 tokens:12000/200000")).toMatchObject({
      kind: "ctx",
      fields: { session: "s-1", turn: "3", tokens: "12000/200000" },
    });
  });

  it("keeps unknown and malformed lines with their raw text", () => {
    expect(parseEnvelopeLine("[quota] left:3")).toEqual({
      kind: "unknown",
      tag: "quota",
      raw: "[quota] left:3",
    });
    expect(parseEnvelopeLine("[procs] nonsense")).toEqual({
      kind: "unknown",
      tag: "procs",
      raw: "[procs] nonsense",
    });
    expect(parseEnvelopeLine("plain text")).toEqual({ kind: "unknown", tag: null, raw: "plain text" });
  });

  it("splits a tool result into body and trailing envelope; the formatter round-trips", () => {
    const lines: EnvelopeData[] = [
      { kind: "ctx", fields: { session: "s-9", tokens: "100/2000" } },
      { kind: "procs", count: 3, active: 2, stale: 0, dead: 1 },
      { kind: "loadavg", load1: 1.5, load5: 0.25, load15: 0.1 },
      { kind: "meminfo", totalBytes: 16 * 1024 ** 3, availableBytes: 8 * 1024 ** 3, usedPct: 50, fields: {} },
      {
        kind: "files",
        files: [{ path: "a b/c.ts".replace(" ", "_"), gen: 3, writer: "w", age: "2h", ageMs: 7_200_000 }],
      },
      { kind: "304", path: "src/x.ts", gen: 7 },
    ];
    const body = "line one\n[not envelope] because body continues\nlast body line";
    const text = formatEnvelope(body, lines);
    const parsed = parseEnvelope(`${text}\n[future] x:1\n`);
    expect(parsed.body).toBe(body);
    expect(parsed.envelope).toHaveLength(7);
    expect(parsed.envelope.map((l) => l.kind)).toEqual([
      "ctx",
      "procs",
      "loadavg",
      "meminfo",
      "files",
      "304",
      "unknown",
    ]);
    for (let i = 0; i < lines.length; i++) {
      const { raw, ...data } = parsed.envelope[i];
      expect(formatEnvelopeLine(data as EnvelopeData)).toBe(raw);
    }
    expect(parsed.envelope[3]).toMatchObject({ totalBytes: 16 * 1024 ** 3, usedPct: 50 });
    expect(parseEnvelope("no envelope here")).toEqual({ body: "no envelope here", envelope: [] });
  });
});
