/**
 * `pnpm check:install`: what a user gets from `npm install @ostk/<layer>`.
 *
 * Packs @ostk/lib and each layer the way `pnpm publish` would, installs each
 * layer ALONE with the real npm client into its own empty project (the packed
 * @ostk/lib beside it, since it is not on the registry yet; every other
 * dependency comes from the npm registry, native builds included), then uses
 * the installed `bin` as a user would. This catches what the monorepo hides: a
 * dependency declared in the wrong package, a file missing from `files`, an
 * install script that needs the internet, a bin that cannot start.
 *
 *   tsx tooling/check-install.ts [--only kernel,recall,cache] [--keep]
 *
 * Exit 0 when every layer installs and works, 1 when one fails.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const LAYERS = ["kernel", "recall", "cache"] as const;
type Layer = (typeof LAYERS)[number];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const only = (arg("--only")?.split(",") ?? [...LAYERS]) as Layer[];
for (const l of only) {
  if (!LAYERS.includes(l)) {
    console.error(`check:install: unknown layer "${l}"; expected one of ${LAYERS.join(", ")}`);
    process.exit(2);
  }
}
const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "ostk-install-"));

/** Runs a command, returning stdout; throws with its stderr on a non-zero exit. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }) {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      input: opts.input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${e.stderr || e.stdout || e.message}`);
  }
}

function pack(name: string, dest: string): string {
  const before = new Set(readdirSync(dest));
  run("pnpm", ["pack", "--pack-destination", dest], { cwd: join(root, "packages", name) });
  const tgz = readdirSync(dest).find((f) => !before.has(f) && f.endsWith(".tgz"));
  if (!tgz) throw new Error(`pnpm pack produced no tarball for ${name}`);
  return join(dest, tgz);
}

/** Resolves when `re` appears on the process's stdout or stderr. */
function waitFor(proc: ChildProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${seen}`)), ms);
    const on = (b: Buffer) => {
      seen += b.toString();
      const m = seen.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout?.on("data", on);
    proc.stderr?.on("data", on);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${re}; output:\n${seen}`));
    });
  });
}

/** Installs `tarballs` with npm into a fresh project (concurrently with the other layers). */
async function install(layer: Layer, tarballs: string[]): Promise<string> {
  const dir = join(work, layer);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `try-${layer}`, private: true }));
  const args = ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs];
  await promisify(execFile)("npm", args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).catch((err) => {
    throw new Error(`npm ${args.join(" ")} failed:\n${err.stderr || err.message}`);
  });
  return dir;
}

const SMOKE: Record<Layer, (dir: string, env: NodeJS.ProcessEnv) => Promise<string>> = {
  async kernel(dir, env) {
    const ostk = join(dir, "node_modules/.bin/ostk");
    const ws = join(dir, "ws");
    mkdirSync(ws);
    run(ostk, ["init", "-C", ws], { cwd: dir, env });
    const daemon = spawn(ostk, ["daemon", "-C", ws], { cwd: dir, env });
    try {
      await waitFor(daemon, /kernel started/, 30_000);
      run(ostk, ["write", "notes.txt", "-C", ws], { cwd: dir, env, input: "hello from npm\n" });
      const back = run(ostk, ["read", "notes.txt", "-C", ws], { cwd: dir, env });
      if (!back.includes("hello from npm")) throw new Error(`ostk read returned ${JSON.stringify(back)}`);
      run(ostk, ["audit", "verify", "-C", ws], { cwd: dir, env });
      // The install script built the sandbox launcher and the fastfs addon: boot says both are in use.
      const boot = JSON.parse(run(ostk, ["boot", "--json", "-C", ws], { cwd: dir, env }));
      for (const name of ["sandbox", "apply"]) {
        const c = boot.checks.find((x: { name: string }) => x.name === name);
        if (c?.status !== "ok") throw new Error(`ostk boot: ${name} is ${c?.status}: ${c?.detail}`);
      }
    } finally {
      daemon.kill("SIGTERM");
    }
    return "init, daemon, write, read, audit verify, boot (sandbox and fastfs built by the install script)";
  },
  async recall(dir, env) {
    const recall = join(dir, "node_modules/.bin/ostk-recall");
    const ws = join(dir, "ws");
    mkdirSync(join(ws, "src"), { recursive: true });
    writeFileSync(
      join(ws, "src/http.ts"),
      "/** Parses one HTTP header line into its name and value. */\nexport function parseHTTPHeader(line: string) {\n  const i = line.indexOf(':');\n  return { name: line.slice(0, i).trim(), value: line.slice(i + 1).trim() };\n}\n",
    );
    writeFileSync(join(ws, "README.md"), "# try\n\nA tiny workspace.\n");
    run(recall, ["scan", ws, "-C", ws], { cwd: dir, env });
    const out = JSON.parse(run(recall, ["search", "parse header", "--json", "-C", ws], { cwd: dir, env }));
    const hits: { path: string }[] = Array.isArray(out) ? out : out.hits;
    if (hits?.[0]?.path !== "src/http.ts") throw new Error(`search found ${JSON.stringify(hits?.[0])}`);
    const status = JSON.parse(run(recall, ["status", "--json", "-C", ws], { cwd: dir, env }));
    return `scan, search (top hit src/http.ts), status (embedder ${status.embedder?.id})`;
  },
  async cache(dir, env) {
    // The fake provider ships in the package (`@ostk/cache/testing`); the official SDK is the user's own.
    const script = `
      import { spawn } from "node:child_process";
      import { startFakeUpstream } from "@ostk/cache/testing";
      const up = await startFakeUpstream();
      const proxy = spawn("node_modules/.bin/ostk-cache", ["--port", "0", "--upstream", up.url, "--workspace", "ws"]);
      let out = "";
      const url = await new Promise((res, rej) => {
        proxy.stdout.on("data", (b) => { out += b; const m = out.match(/"url":"(http:[^"]+)"/); if (m) res(m[1]); });
        proxy.stderr.on("data", (b) => { out += b; });
        proxy.on("exit", (c) => rej(new Error("ostk-cache exited " + c + ": " + out)));
      });
      try {
        const r = await fetch(url + "/v1/messages", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "sk-ant-try-0000", "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
        });
        const body = await r.json();
        if (r.status !== 200 || body.type !== "message") throw new Error("proxy answered " + r.status + " " + JSON.stringify(body));
        if (up.requests.length !== 1) throw new Error("upstream saw " + up.requests.length + " requests");
        console.log("ok");
      } finally { proxy.kill("SIGTERM"); await up.close(); }
    `;
    mkdirSync(join(dir, "ws"));
    writeFileSync(join(dir, "smoke.mjs"), script);
    run(process.execPath, ["smoke.mjs"], { cwd: dir, env });
    return "proxy started from its bin, one Anthropic request through it to the packaged fake upstream";
  },
};

async function main(): Promise<number> {
  const packs = join(work, "packs");
  mkdirSync(packs);
  const lib = pack("lib", packs);
  const t0 = Date.now();
  const installs = only.map((layer) => {
    const p = install(layer, [lib, pack(layer, packs)]);
    // Settled here so a failing install is reported in its turn, not as an unhandled rejection.
    return p.then(
      (dir) => ({ dir, s: ((Date.now() - t0) / 1000).toFixed(0) }),
      (err: Error) => ({ err }),
    );
  });
  let failed = 0;
  for (const [i, layer] of only.entries()) {
    try {
      const done = await installs[i];
      if ("err" in done) throw done.err;
      const { dir, s: installed } = done;
      const home = join(dir, "home");
      mkdirSync(home);
      const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
      const did = await SMOKE[layer](dir, env);
      console.log(`ok   @ostk/${layer}: npm install ${installed} s; ${did}`);
    } catch (err) {
      failed++;
      console.log(`FAIL @ostk/${layer}: ${(err as Error).message}`);
    }
  }
  if (keep) console.log(`kept ${work}`);
  else if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
