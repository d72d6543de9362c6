import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { protocolFragment } from "./protocol-fragment.js";
import { PARAMS, validate } from "./schemas.js";

describe("protocol fragment", () => {
  it("matches the committed packages/lib/protocol/methods/recall.json (run scripts/write-protocol-fragment.ts)", () => {
    const file = fileURLToPath(new URL("../../../lib/protocol/methods/recall.json", import.meta.url));
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(JSON.parse(JSON.stringify(protocolFragment())));
  });
  it("validates params the way the tools promise", () => {
    expect(validate(PARAMS.search, { query: "x" })).toEqual([]);
    expect(validate(PARAMS.search, { query: "" })).toEqual(["params.query: must not be empty"]);
    expect(validate(PARAMS.search, { query: "x", limit: 0, extra: 1 })).toEqual([
      "params.limit: must be ≥ 1",
      "params.extra: unknown property",
    ]);
    expect(validate(PARAMS.watch, { action: "go" })).toEqual([
      "params.action: must be one of start, stop, status",
    ]);
  });
});
