import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAgentfile } from "./load.js";

const dir = fileURLToPath(new URL("../../examples/", import.meta.url));

describe("examples/*.af", () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith(".af")))("%s lints clean", (file) => {
    const r = loadAgentfile(`${dir}${file}`, { env: {}, strictVars: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.agentfile?.task).toBeTruthy();
  });

  it("worker.af switches model with OSTK_MODEL and nothing else", () => {
    const a = loadAgentfile(`${dir}worker.af`, { env: {} }).agentfile!;
    const b = loadAgentfile(`${dir}worker.af`, { env: { OSTK_MODEL: "openai/gpt-4.1" } }).agentfile!;
    expect(a.from.provider).toBe("anthropic");
    expect(b.from.provider).toBe("openai");
    expect({ ...b, from: a.from, vars: a.vars }).toEqual(a);
  });
});
