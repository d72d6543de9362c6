import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PinParseError, parsePinCaps } from "./pin-caps.js";
import { loadPin, selectPin } from "./pin-select.js";

describe("parsePinCaps", () => {
  it("parses the reference pin format", () => {
    const pin = parsePinCaps(
      "# worker\nread: **\nwrite: src/** docs/**\nexecute: shell\ndeny: write-kernel modify-governance\nallow: write-src\ndeny-path: secrets/**\ndeny-verb: delete, bash\n",
      { name: "worker" },
    );
    expect(pin.read).toEqual(["**"]);
    expect(pin.write).toEqual(["src/**", "docs/**"]);
    expect(pin.execute).toEqual(["shell"]);
    expect(pin.deny).toEqual(["write-kernel", "modify-governance"]);
    expect(pin.allow).toEqual(["write-src"]);
    expect(pin.denyPaths).toEqual(["secrets/**"]);
    expect(pin.denyVerbs).toEqual(["delete", "exec"]);
  });

  it.each([
    ["write src/**", 1, /expected "key: values"/],
    ["read: **\nfrobnicate: x", 2, /unknown key "frobnicate"/],
    ["deny: write-everything", 1, /unknown deny token "write-everything"/],
    ["deny-verb: explode", 1, /unknown verb "explode"/],
    ["\n\nwrite: ../outside/**", 3, /workspace-relative/],
    ["write: /etc/**", 1, /workspace-relative/],
  ])("fails closed on %j with the line and reason", (text, line, reason) => {
    let err: unknown;
    try {
      parsePinCaps(text, { name: "bad" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PinParseError);
    expect((err as PinParseError).line).toBe(line);
    expect((err as PinParseError).message).toMatch(reason);
    expect((err as PinParseError).kind).toBe("PolicyDenied");
  });
});

describe("selectPin / loadPin", () => {
  it("prefers flag > Agentfile > OSTK_PIN > config > default", () => {
    expect(selectPin({ flag: "a", agentfilePin: "b", env: { OSTK_PIN: "c" }, configPin: "d" })).toEqual({
      name: "a",
      from: "flag",
    });
    expect(selectPin({ agentfilePin: "b", env: { OSTK_PIN: "c" }, configPin: "d" })).toEqual({
      name: "b",
      from: "agentfile",
    });
    expect(selectPin({ env: { OSTK_PIN: "c" }, configPin: "d" })).toEqual({ name: "c", from: "env" });
    expect(selectPin({ env: {}, configPin: "d" })).toEqual({ name: "d", from: "config" });
    expect(selectPin({ env: {} })).toEqual({ name: "default", from: "default" });
    expect(() => selectPin({ env: { OSTK_PIN: "../x" } })).toThrow(/invalid pin name/);
  });

  it("loads a pin from .ostk/pins, falls back only for default, and refuses a missing named pin", () => {
    const ws = mkdtempSync(join(tmpdir(), "ostk-pin-"));
    try {
      mkdirSync(join(ws, ".ostk/pins/ro"), { recursive: true });
      writeFileSync(join(ws, ".ostk/pins/ro/pin.caps"), "read: **\n");
      expect(loadPin(ws, "ro").write).toEqual([]);
      expect(loadPin(ws, "default").deny).toContain("write-kernel");
      expect(() => loadPin(ws, "missing")).toThrow(/does not exist/);
      writeFileSync(join(ws, ".ostk/pins/ro/pin.caps"), "read **\n");
      expect(() => loadPin(ws, "ro")).toThrow(/line 1/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
