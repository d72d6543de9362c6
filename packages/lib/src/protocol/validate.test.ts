import { describe, expect, it } from "vitest";
import { METHODS, SCHEMAS } from "./generated/methods.js";
import { checkParams, checkResult, isProtocolMethod } from "./validate.js";

describe("generated protocol validators", () => {
  it("accepts well-formed params with _meta and rejects bad ones with path: message", () => {
    expect(
      checkParams("session/negotiate", {
        scope: { pins: ["default"], capabilities: ["read:src/**"] },
        _meta: {
          identity: { id: "bot", kind: "integration" },
          traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`,
        },
      }),
    ).toEqual({ ok: true });
    const bad = checkParams("session/negotiate", { scope: { pins: "default" }, extra: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.unknownMethod).toBe(false);
      expect(bad.errors).toContain("params.extra: is not allowed");
      expect(bad.errors).toContain("params.scope.pins: must be array");
    }
    const missing = checkParams("session/negotiate", {});
    expect(!missing.ok && missing.errors).toEqual(["params.scope: is required"]);
  });

  it("reports unknown methods and a bad identity in _meta", () => {
    const r = checkParams("nope/nothing", {});
    expect(r.ok === false && r.unknownMethod).toBe(true);
    expect(isProtocolMethod("client/subscribe")).toBe(true);
    const id = checkParams("client/subscribe", { _meta: { identity: { id: "", kind: "robot" } } });
    expect(id.ok).toBe(false);
  });

  it("checks results and shared schemas", () => {
    expect(checkResult("client/subscribe", { subscription: "s1", head_seq: 0 })).toEqual({ ok: true });
    expect(checkResult("client/subscribe", { subscription: 1 }).ok).toBe(false);
    expect(SCHEMAS.CallerIdentity({ id: "a", kind: "agent" })).toBe(true);
    expect(METHODS["journal/event"].notification).toBe(true);
    expect(METHODS["journal/event"].result).toBeNull();
  });

  it("string length counts code points like ajv does", () => {
    const long = "😀".repeat(200); // 400 UTF-16 units, 200 code points
    expect(SCHEMAS.CallerIdentity({ id: long, kind: "agent" })).toBe(true);
    expect(SCHEMAS.CallerIdentity({ id: `${long}x`, kind: "agent" })).toBe(false);
  });
});
