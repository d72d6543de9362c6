import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, errorName, OstkRpcError, toRpcError } from "./errors.js";

const md = readFileSync(new URL("../ERRORS.md", import.meta.url), "utf8");
const rows = [...md.matchAll(/^\|\s*(-\d+)\s*\|\s*(\w+)\s*\|\s*(.+?)\s*\|\s*$/gm)].map((m) => ({
  code: Number(m[1]),
  name: m[2],
  meaning: m[3],
}));
const doc = JSON.parse(readFileSync(new URL("../protocol/ostk.openrpc.json", import.meta.url), "utf8"));

describe("error catalog", () => {
  it("every code in errors.ts is documented in ERRORS.md with the same name", () => {
    for (const [name, code] of Object.entries(ERROR_CODES)) {
      const row = rows.find((r) => r.name === name);
      expect(row, `${name} is missing from ERRORS.md`).toBeDefined();
      expect(row?.code, `${name} has a different code in ERRORS.md`).toBe(code);
      expect(row?.meaning.length).toBeGreaterThan(10);
    }
  });

  it("every row of ERRORS.md exists in errors.ts", () => {
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect(errorName(r.code), `${r.name} (${r.code}) is not in errors.ts`).toBe(r.name);
  });

  it("codes are unique and application codes are in -32000..-32099", () => {
    const codes = Object.values(ERROR_CODES) as number[];
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c <= -32600 || (c >= -32099 && c <= -32000)).toBe(true);
  });

  it("the OpenRPC document carries the same catalog", () => {
    const listed = Object.fromEntries(
      (doc["x-error-codes"] as { name: string; code: number }[]).map((e) => [e.name, e.code]),
    );
    expect(listed).toEqual({ ...ERROR_CODES });
  });

  it("protocol errors serialise with data.kind and unknown throws become InternalError", () => {
    expect(new OstkRpcError("PolicyDenied", "no", { reason: "pin" }).toJSON()).toEqual({
      code: -32001,
      message: "no",
      data: { kind: "PolicyDenied", reason: "pin" },
    });
    const e = toRpcError(new Error("boom"));
    expect(e.kind).toBe("InternalError");
    expect(e.cause).toBeInstanceOf(Error);
  });
});
