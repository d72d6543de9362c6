import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentfileCommand } from "./command.js";
import type { CommandIO } from "./io.js";

let dir: string;
let out: string[];
let err: string[];
let io: CommandIO;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ostk-af-"));
  out = [];
  err = [];
  io = { cwd: dir, env: {}, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ostk agentfile", () => {
  it("new writes a template that lints clean, and refuses to overwrite", async () => {
    expect(await agentfileCommand(["new", "worker"], io)).toBe(0);
    const path = join(dir, ".ostk/agents/worker.af");
    expect(readFileSync(path, "utf8")).toMatch(/^FROM /m);
    expect(await agentfileCommand(["lint", "worker"], io)).toBe(0);
    expect(out.at(-1)).toMatch(/worker\.af: ok/);
    expect(await agentfileCommand(["new", "worker"], io)).toBe(1);
    expect(err.at(-1)).toMatch(/already exists; kept it unchanged/);
  });

  it("lint prints file:line:col, the line and a caret, and exits 1", async () => {
    writeFileSync(join(dir, "bad.af"), "FROM auto\nLIMIT turns lots\n");
    expect(await agentfileCommand(["lint", "bad.af"], io)).toBe(1);
    expect(err[0]).toContain("bad.af:2:13: error: expected a positive whole number of turns");
    expect(err[0]).toContain("  LIMIT turns lots\n              ^");
  });

  it("validate needs the pin and the provider's key; show --json prints the parsed file", async () => {
    writeFileSync(
      join(dir, "Agentfile"),
      "FROM anthropic/claude-haiku-4-5\nTASK x\nTOOL file:read\nPIN strict\n",
    );
    expect(await agentfileCommand(["validate", "--json"], io)).toBe(1);
    const report = JSON.parse(out.at(-1)!);
    expect(report.diagnostics.map((d: { code: string }) => d.code).sort()).toEqual([
      "no-credentials",
      "pin-not-found",
    ]);
    mkdirSync(join(dir, ".ostk/pins/strict"), { recursive: true });
    writeFileSync(join(dir, ".ostk/pins/strict/pin.caps"), "read: **\n");
    io.env.ANTHROPIC_API_KEY = "sk-test";
    expect(await agentfileCommand(["validate"], io)).toBe(0);
    expect(await agentfileCommand(["show", "--json"], io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      from: { provider: "anthropic" },
      pin: "strict",
      task: "x",
    });
  });

  it("says where it looked when the file does not exist", async () => {
    expect(await agentfileCommand(["show", "nosuch"], io)).toBe(1);
    expect(err[0]).toMatch(/no Agentfile found for "nosuch".*\.ostk\/agents\/nosuch\.af/);
  });
});
