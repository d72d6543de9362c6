import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../cli/index.js";
import type { CliIo } from "../cli/io.js";
import { DEFAULT_CONFIG, loadConfig } from "./config.js";
import { startKernel } from "./start-kernel.js";

const dirs: string[] = [];
function workspace(toml?: string): string {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-kcfg-")));
  dirs.push(ws);
  fs.mkdirSync(path.join(ws, ".ostk"));
  if (toml !== undefined) fs.writeFileSync(path.join(ws, ".ostk", "config.toml"), toml);
  return ws;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function errorsOf(r: ReturnType<typeof loadConfig>): string[] {
  if (r.ok) throw new Error("expected the kernel config to be rejected");
  return r.errors;
}

describe("kernel config", () => {
  it("defaults, then .ostk/config.toml, then OSTK_* env, then flags; provenance says which", () => {
    expect(loadConfig(workspace(), {})).toMatchObject({ ok: true, config: DEFAULT_CONFIG });
    const ws = workspace('pin = "ci"\n[journal]\ncheckpoint_every = 7\n[cache]\nport = 1\n[recall]\nx = 1\n');
    const file = loadConfig(ws, {});
    expect(file.ok && file.config).toMatchObject({ pin: "ci", journal: { checkpoint_every: 7 } });
    const env = loadConfig(ws, { OSTK_PIN: "strict", OSTK_KEY_DIR: "/keys" });
    expect(env.ok && env.config).toMatchObject({ pin: "strict", key_dir: "/keys" });
    expect(env.ok && env.provenance).toMatchObject({
      pin: { kind: "env", name: "OSTK_PIN" },
      "journal.checkpoint_every": { kind: "file", file: path.join(ws, ".ostk", "config.toml") },
      "journal.rotate_bytes": { kind: "default" },
    });
    const flag = loadConfig(ws, { OSTK_PIN: "strict" }, { pin: "flagged" });
    expect(flag.ok && flag.config.pin).toBe("flagged");
  });

  it("bad values name the key, value, expectation and source", () => {
    const ws = workspace('pin = "a b"\n[journal]\nrotate_bytes = -1\n');
    const file = path.join(ws, ".ostk", "config.toml");
    expect(errorsOf(loadConfig(ws, { OSTK_PIN: "../etc" }))).toEqual([
      `pin: must be a pin name (letters, digits, _ . -), got "a b" (in ${file})`,
      `journal.rotate_bytes: must be a positive integer, got -1 (in ${file})`,
      'pin: must be a pin name (letters, digits, _ . -), got "../etc" (env OSTK_PIN)',
    ]);
  });

  it("an unknown key is an error with a suggestion (it was a warning before)", () => {
    const ws = workspace("[jurnal]\nrotate_bytes = 1\n[limits]\nmax_file_byte = 1\n");
    const file = path.join(ws, ".ostk", "config.toml");
    expect(errorsOf(loadConfig(ws, {}))).toEqual([
      `jurnal: unknown setting (did you mean journal?) (in ${file})`,
      `limits.max_file_byte: unknown setting (did you mean max_file_bytes?) (in ${file})`,
    ]);
  });

  it("a key directory inside the workspace is refused", () => {
    const ws = workspace();
    expect(errorsOf(loadConfig(ws, { OSTK_KEY_DIR: path.join(ws, "keys") }))).toEqual([
      `key_dir: must be outside the workspace (an agent could read the key), got ${JSON.stringify(path.join(ws, "keys"))} (env OSTK_KEY_DIR)`,
    ]);
  });

  it("the daemon refuses to start on a bad config, and `ostk config show` prints each setting's source", async () => {
    const ws = workspace("[limits]\nmax_frame_bytes = 0\n");
    await expect(
      startKernel({ workspace: ws, keyPath: path.join(os.tmpdir(), "none", "k") }),
    ).rejects.toThrow(
      /the kernel configuration is invalid; the daemon did not start:\n {2}limits\.max_frame_bytes: must be a positive integer, got 0/,
    );
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), cwd: ws, env: {} };
    expect(await main(["config", "show"], io)).toBe(2);
    expect(err.join("\n")).toContain("limits.max_frame_bytes: must be a positive integer, got 0");

    fs.writeFileSync(path.join(ws, ".ostk", "config.toml"), "[limits]\nmax_frame_bytes = 4096\n");
    out.length = 0;
    expect(await main(["config", "show", "--json"], { ...io, env: { OSTK_PIN: "ci" } })).toBe(0);
    const rows = JSON.parse(out[0]) as { key: string; value: unknown; from: string }[];
    expect(rows).toContainEqual({ key: "pin", value: "ci", from: "env OSTK_PIN" });
    expect(rows).toContainEqual({
      key: "limits.max_frame_bytes",
      value: 4096,
      from: path.join(ws, ".ostk", "config.toml"),
    });
    expect(rows).toContainEqual({ key: "key_dir", value: null, from: "default" });
  });
});
