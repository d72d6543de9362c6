import { describe, expect, it } from "vitest";
import { assemble } from "../../../tooling/protocol/assemble.ts";
import { generateValidators, pascal } from "../../../tooling/protocol/codegen.ts";
import { render } from "../../../tooling/protocol/generate.ts";

const base = { methods: [], schemas: { RequestMeta: { type: "object" } } };

describe("protocol generator", () => {
  it("is deterministic", async () => {
    const a = await render();
    const b = await render();
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k)).toBe(v);
  }, 60_000);

  it("rejects duplicate methods, dangling $refs and results on notifications with file: path: message", () => {
    const m = (name: string, extra: object = {}) => ({
      name,
      paramStructure: "by-name",
      params: [{ name: "x", required: true, schema: { $ref: "#/components/schemas/Missing" } }],
      result: { name: "r", schema: { type: "boolean" } },
      ...extra,
    });
    const res = assemble(
      base,
      [
        ["methods/a.json", { methods: [m("a/one")], schemas: {} }],
        ["methods/b.json", { methods: [m("a/one"), m("b/note", { "x-notification": true })], schemas: {} }],
      ],
      "",
      "0.0.0",
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toContain("methods/b.json: methods[0]: a/one is already defined in methods/a.json");
    expect(res.errors).toContain(
      'methods/b.json: methods[1] (b/note): a notification ("x-notification": true) has no result',
    );
    expect(res.errors.some((e) => e.includes("#/components/schemas/Missing: no schema"))).toBe(true);
  });

  it("emits ESM validators without require()", () => {
    const code = generateValidators({
      S: { type: "object", properties: { s: { type: "string", maxLength: 3 } } },
    });
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).toMatch(/export const S = /);
    expect(pascal("fs/read")).toBe("FsRead");
    expect(pascal("rpc.discover")).toBe("RpcDiscover");
  });
});
