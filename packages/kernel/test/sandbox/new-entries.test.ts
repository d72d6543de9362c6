/**
 * New files at the workspace root under the default pin policy: ordinary agent use (`touch NEWFILE`, a
 * build tool writing at the top level) must work, while protected names — existing or not — stay out of
 * reach. Runs as root on the CI machine, so file permissions do not help the sandbox here.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPin } from "../../src/policy/pin-caps.js";
import { pinSandboxPolicy } from "../../src/policy/pin-sandbox.js";
import {
  compileRules,
  probeSandbox,
  releasePlaceholders,
  runSandboxed,
  type SandboxPolicy,
} from "../../src/sandbox/index.js";

const probe = probeSandbox();
const linuxSandbox = probe.available && probe.mechanism === "landlock";

let root: string;
let keyDir: string;

/** A workspace as `ostk init` leaves it in an existing repository: `.ostk/`, `.git/config`, no Agentfile. */
function workspace(name: string): string {
  const ws = join(root, name);
  mkdirSync(join(ws, ".ostk/pins"), { recursive: true });
  mkdirSync(join(ws, ".git"), { recursive: true });
  writeFileSync(join(ws, ".ostk/config.toml"), "");
  writeFileSync(join(ws, ".git/config"), "[core]\n");
  writeFileSync(join(ws, "existing.txt"), "old");
  return ws;
}

function policy(mountNamespace: "auto" | "never"): SandboxPolicy {
  return { ...pinSandboxPolicy(defaultPin(), { secretPaths: [keyDir] }), mountNamespace };
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "ostk-newent-")));
  keyDir = join(root, "keys");
  mkdirSync(keyDir);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("default pin policy", () => {
  it("protects Agentfile, .ostk and .git (the names the bug report is about)", () => {
    const p = policy("auto");
    expect(p.writable).toEqual(["."]);
    expect(p.protectedPaths).toEqual(expect.arrayContaining([".ostk", "Agentfile", ".git/hooks"]));
  });
});

describe("compileRules in mount mode", () => {
  it("bind-mounts a placeholder over a missing protected name instead of splitting its parent", () => {
    const ws = workspace("compile");
    const rules = compileRules({ workspace: ws, policy: policy("auto"), mountNamespace: true });
    try {
      expect(rules.write).toContain(ws); // the root is writable as a whole: new entries allowed
      expect(rules.writeFiles).toEqual([]);
      expect(rules.placeholders).toEqual([join(ws, "Agentfile")]);
      expect(rules.roBinds).toEqual(
        expect.arrayContaining([join(ws, ".ostk"), join(ws, "Agentfile"), join(ws, ".git/hooks")]),
      );
      expect(readFileSync(join(ws, "Agentfile"), "utf8")).toBe("");
    } finally {
      releasePlaceholders(rules.placeholders);
    }
    expect(existsSync(join(ws, "Agentfile"))).toBe(false);
  });

  it("never replaces an existing protected file and shares a placeholder between concurrent calls", () => {
    const ws = workspace("compile-existing");
    writeFileSync(join(ws, "Agentfile"), "TASK hi\n");
    const own = compileRules({ workspace: ws, policy: policy("auto"), mountNamespace: true });
    expect(own.placeholders).toEqual([]);
    expect(own.roBinds).toContain(join(ws, "Agentfile"));
    rmSync(join(ws, "Agentfile"));

    const a = compileRules({ workspace: ws, policy: policy("auto"), mountNamespace: true });
    const b = compileRules({ workspace: ws, policy: policy("auto"), mountNamespace: true });
    expect(b.placeholders).toEqual(a.placeholders);
    releasePlaceholders(a.placeholders);
    expect(existsSync(join(ws, "Agentfile"))).toBe(true); // b still has it mounted
    releasePlaceholders(b.placeholders);
    expect(existsSync(join(ws, "Agentfile"))).toBe(false);
  });
});

describe.skipIf(!linuxSandbox || !probe.mountNamespace)("mount namespace: new entries at the root", () => {
  it("creates a new file and a new nested directory at the workspace root", async () => {
    const ws = workspace("mount");
    const r = await runSandboxed({
      workspace: ws,
      command: "echo hi > new.txt && mkdir -p d/e && echo x > d/e/f && mkdir sub && touch NEWFILE && echo ok",
      policy: policy("auto"),
      timeoutMs: 15_000,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(ws, "new.txt"), "utf8")).toBe("hi\n");
    expect(readFileSync(join(ws, "d/e/f"), "utf8")).toBe("x\n");
    expect(existsSync(join(ws, "sub"))).toBe(true);
    expect(existsSync(join(ws, "NEWFILE"))).toBe(true);
    expect(existsSync(join(ws, "Agentfile"))).toBe(false); // the placeholder is gone after the call
  });

  it("still refuses Agentfile, .git/hooks/x and .ostk/x, concurrently too", async () => {
    const ws = workspace("mount-protected");
    const attempts = [
      "echo x > Agentfile",
      "mkdir Agentfile",
      "rm -f Agentfile; mv Agentfile gone; echo x > Agentfile",
      "mkdir -p .git/hooks && echo x > .git/hooks/x",
      "echo x > .ostk/x",
      "mkdir .ostk/agents",
      "echo x >> .git/config",
    ];
    const results = await Promise.all(
      attempts.map((command) =>
        runSandboxed({ workspace: ws, command, policy: policy("auto"), timeoutMs: 15_000 }),
      ),
    );
    for (const [i, r] of results.entries()) expect([attempts[i], r.exitCode]).not.toEqual([attempts[i], 0]);
    expect(existsSync(join(ws, "Agentfile"))).toBe(false);
    expect(existsSync(join(ws, "gone"))).toBe(false);
    expect(existsSync(join(ws, ".git/hooks/x"))).toBe(false);
    expect(existsSync(join(ws, ".ostk/x"))).toBe(false);
    expect(existsSync(join(ws, ".ostk/agents"))).toBe(false);
    expect(readFileSync(join(ws, ".git/config"), "utf8")).toBe("[core]\n");
  });
});

describe.skipIf(!linuxSandbox)("without a mount namespace (Landlock splits)", () => {
  it("refuses the protected names and keeps existing root files writable", async () => {
    const ws = workspace("split");
    const r = await runSandboxed({
      workspace: ws,
      command:
        "echo new > existing.txt; echo x > Agentfile; mkdir -p .git/hooks; echo x > .git/hooks/x; echo x > .ostk/x; true",
      policy: policy("never"),
      timeoutMs: 15_000,
    });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(ws, "existing.txt"), "utf8")).toBe("new\n");
    expect(existsSync(join(ws, "Agentfile"))).toBe(false);
    expect(existsSync(join(ws, ".git/hooks/x"))).toBe(false);
    expect(existsSync(join(ws, ".ostk/x"))).toBe(false);
  });
});
