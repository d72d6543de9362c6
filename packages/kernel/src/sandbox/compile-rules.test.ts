import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileRules, launcherArgs } from "./compile-rules.js";

let ws: string;
let outside: string;
beforeEach(() => {
  ws = realpathSync(mkdtempSync(join(tmpdir(), "ostk-rules-")));
  outside = realpathSync(mkdtempSync(join(tmpdir(), "ostk-out-")));
  mkdirSync(join(ws, ".ostk"));
  mkdirSync(join(ws, ".git/hooks"), { recursive: true });
  mkdirSync(join(ws, ".git/objects"), { recursive: true });
  writeFileSync(join(ws, ".git/config"), "");
  mkdirSync(join(ws, "src"));
  writeFileSync(join(ws, "README.md"), "x");
});
afterEach(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe("compileRules", () => {
  it("makes the workspace writable except .ostk, .git/hooks and .git/config", () => {
    const r = compileRules({ workspace: ws });
    expect(r.write).toContain(join(ws, "src"));
    expect(r.write).toContain(join(ws, ".git/objects"));
    expect(r.writeFiles).toContain(join(ws, "README.md"));
    for (const p of [".ostk", ".git/hooks", ".git/config"]) {
      expect(r.write).not.toContain(join(ws, p));
      expect(r.writeFiles).not.toContain(join(ws, p));
      expect(r.carvedOut).toContain(join(ws, p));
    }
    // no rule grants write on the workspace root or .git themselves (it would cover the protected paths)
    expect(r.write).not.toContain(ws);
    expect(r.write).not.toContain(join(ws, ".git"));
    expect(r.read).toContain(ws);
  });

  it("in mount mode, protected paths become read-only bind mounts and the workspace root stays writable", () => {
    const r = compileRules({ workspace: ws, mountNamespace: true });
    expect(r.write).toContain(ws);
    expect(r.roBinds).toEqual(
      expect.arrayContaining([join(ws, ".ostk"), join(ws, ".git/hooks"), join(ws, ".git/config")]),
    );
    // .git/info was missing: it is created (as git init would) and bind-mounted read-only too
    expect(r.roBinds).toContain(join(ws, ".git/info"));
    expect(r.unprotected).toContain(join(ws, ".bashrc"));
    expect(r.pins).toEqual([join(ws, ".git")]); // so .git cannot be renamed and replaced
    expect(launcherArgs(r, { cwd: ws, env: {} }).join(" ")).toContain(`--ro-bind ${join(ws, ".ostk")}`);
  });

  it("keeps system secrets unreadable while /etc stays readable", () => {
    const r = compileRules({ workspace: ws });
    expect(r.read).not.toContain("/etc");
    expect(r.list).toContain("/etc");
    expect(r.read).toContain("/etc/passwd");
    expect(r.read).not.toContain("/etc/shadow");
    expect(r.read).toContain("/usr");
  });

  it("never grants write to a hard-linked file or through a symlink", () => {
    writeFileSync(join(outside, "target"), "t");
    linkSync(join(outside, "target"), join(ws, "src", "hl"));
    symlinkSync(outside, join(ws, "src", "sym"));
    const r = compileRules({ workspace: ws });
    expect(r.writeFiles).not.toContain(join(ws, "src/hl"));
    expect(r.write).not.toContain(join(ws, "src"));
    expect(r.carvedOut).toContain(join(ws, "src/hl"));
    expect([...r.write, ...r.writeFiles, ...r.read].some((p) => p.startsWith(outside))).toBe(false);
  });

  it("carves out coarser directories when thousands of files are hard links (pnpm's node_modules)", () => {
    writeFileSync(join(outside, "store"), "s");
    for (let p = 0; p < 100; p++) {
      mkdirSync(join(ws, `node_modules/p${p}/lib`), { recursive: true });
      for (let f = 0; f < 40; f++)
        linkSync(join(outside, "store"), join(ws, `node_modules/p${p}/lib/f${f}.js`));
    }
    const r = compileRules({ workspace: ws });
    expect(r.write).toContain(join(ws, "src"));
    expect([...r.write, ...r.writeFiles].some((p) => p.startsWith(join(ws, "node_modules")))).toBe(false);
    expect(r.carvedOut.length).toBeLessThan(4000);
    expect(r.carvedOut.some((p) => p.startsWith(join(ws, "node_modules")))).toBe(true);
  });

  it("hides a secret path inside the workspace entirely", () => {
    mkdirSync(join(ws, "keys"));
    const r = compileRules({ workspace: ws, policy: { secretPaths: [join(ws, "keys")] } });
    expect(r.read).not.toContain(ws);
    expect(r.list).toContain(ws);
    expect([...r.read, ...r.write].some((p) => p.startsWith(join(ws, "keys")))).toBe(false);
  });

  it("turns network and limits into launcher flags", () => {
    const r = compileRules({
      workspace: ws,
      policy: { network: { connect: [443, 443, 0, "127.0.0.1:5432", "[::1]:8080"], bind: [8080] } },
    });
    expect(r.connectPorts).toEqual([443]);
    expect(r.connectHosts).toEqual([
      { ip: "127.0.0.1", port: 5432 },
      { ip: "::1", port: 8080 },
    ]);
    expect(() =>
      compileRules({ workspace: ws, policy: { network: { connect: ["example.com:443"] } } }),
    ).toThrow(/IP literals only/);
    expect(r.bindPorts).toEqual([8080]);
    expect(r.minLandlockAbi).toBe(4);
    const args = launcherArgs(r, { cwd: ws, env: { PATH: "/usr/bin" }, usePidsCgroup: true });
    expect(args.join(" ")).toContain(
      "--connect 443 --connect-host 127.0.0.1 5432 --connect-host ::1 8080 --bind 8080",
    );
    expect(args.join(" ")).toContain("--env PATH=/usr/bin");
    expect(args).toContain("--pids-max");
    expect(args).not.toContain("--net-open");
    expect(args).not.toContain("--no-inet");
    const none = compileRules({ workspace: ws });
    expect(none.noInet).toBe(true);
    expect(none.minLandlockAbi).toBe(1);
  });
});
