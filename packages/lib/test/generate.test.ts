import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../tooling/protocol/assemble.ts";
import { generateValidators, pascal } from "../../../tooling/protocol/codegen.ts";
import { tempDir } from "./helpers.js";

const base = { methods: [], schemas: { RequestMeta: { type: "object" } } };

describe("protocol generator", () => {
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

  it("is deterministic; --check passes on fresh output and fails with the stale files listed after a fragment changes", () => {
    using tmp = tempDir();
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const copy = (rel: string) => cpSync(join(root, rel), join(tmp.dir, rel), { recursive: true });
    for (const rel of [
      "tooling/protocol",
      "packages/lib/protocol",
      "packages/lib/ERRORS.md",
      "packages/lib/package.json",
    ])
      copy(rel);
    mkdirSync(join(tmp.dir, "packages/lib/src"), { recursive: true });
    copy("packages/lib/src/errors.ts");
    symlinkSync(join(root, "node_modules"), join(tmp.dir, "node_modules"));
    // Isolated from the other layers' fragments (they change while they work): base.json plus empty fragments.
    for (const layer of ["kernel", "recall", "cache"])
      writeFileSync(
        join(tmp.dir, `packages/lib/protocol/methods/${layer}.json`),
        '{"methods":[],"schemas":{}}',
      );
    const gen = (...args: string[]) =>
      spawnSync(join(root, "node_modules/.bin/tsx"), ["tooling/protocol/generate.ts", ...args], {
        cwd: tmp.dir,
        encoding: "utf8",
      });
    expect(gen().status).toBe(0);
    const outputs = [
      "packages/lib/protocol/ostk.openrpc.json",
      "packages/lib/src/protocol/generated/validators.ts",
    ];
    const first = outputs.map((f) => readFileSync(join(tmp.dir, f), "utf8"));
    expect(gen().stdout).toContain("0 changed"); // deterministic: a second run rewrites nothing
    expect(outputs.map((f) => readFileSync(join(tmp.dir, f), "utf8"))).toEqual(first);
    const ok = gen("--check");
    expect(ok.status, ok.stderr).toBe(0);
    const frag = join(tmp.dir, "packages/lib/protocol/methods/cache.json");
    const json = JSON.parse(readFileSync(frag, "utf8"));
    json.methods.push({
      name: "cache/ping",
      paramStructure: "by-name",
      params: [],
      result: { name: "ok", schema: { type: "boolean" } },
    });
    writeFileSync(frag, JSON.stringify(json));
    const stale = gen("--check");
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("packages/lib/protocol/ostk.openrpc.json");
    expect(stale.stderr).toContain("Run `pnpm gen` and commit the result.");
    json.methods.push({
      name: "cache/ping",
      params: [],
      result: { name: "ok", schema: { type: "boolean" } },
    });
    writeFileSync(frag, JSON.stringify(json));
    const dup = gen();
    expect(dup.status).toBe(2);
    expect(dup.stderr).toMatch(/cache\/ping is already defined/);
  }, 60_000);
});
