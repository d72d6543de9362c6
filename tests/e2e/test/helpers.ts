import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FakeUpstream, startFakeUpstream } from "@ostk/cache/testing";
import Database from "better-sqlite3";
import { afterAll, beforeAll } from "vitest";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const OSTKD_CLI = join(REPO, "apps/ostkd/dist/cli.js");
const require = createRequire(import.meta.url);

/** A layer's CLI inside the monorepo (its package.json `bin`, i.e. dist/cli.js). */
export function binOf(pkgDir: string, bin: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  return join(pkgDir, pkg.bin[bin]);
}
export const KERNEL_CLI = binOf(join(REPO, "packages/kernel"), "ostk");
export const RECALL_CLI = binOf(join(REPO, "packages/recall"), "ostk-recall");
export const CACHE_CLI = binOf(join(REPO, "packages/cache"), "ostk-cache");
export const builtAll = [OSTKD_CLI, KERNEL_CLI, RECALL_CLI, CACHE_CLI].every((p) => existsSync(p));

/** A fake test key: must never appear on disk under .ostk/ (ledger, logs, caches). */
export const TEST_KEY = "sk-ant-api03-e2eTESTKEYdoNotStoreMe0123456789abcdefABCDEF";

export const OLD_GREET = `/** Greets someone by name. */
export function greet(name: string): string {
  return \`Hello, \${name}! Welcome aboard the good ship.\`;
}
`;

export interface TempRoot {
  dir: string;
  keyDir: string;
  env: NodeJS.ProcessEnv;
  workspace(name: string): string;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The fake provider for a describe block: started before its tests; after them it is closed and
 * `root` disposed (so daemons started under it are stopped first).
 */
export function useFakeUpstream(root: TempRoot): { readonly fake: FakeUpstream } {
  let fake: FakeUpstream | undefined;
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    await fake?.close();
    await root[Symbol.asyncDispose]();
  });
  return {
    get fake() {
      if (!fake) throw new Error("the fake upstream has not started");
      return fake;
    },
  };
}

export function tempRoot(prefix = "ostk-e2e-"): TempRoot {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keyDir = join(dir, "keys");
  const env = { ...process.env, OSTK_KEY_DIR: keyDir, OSTK_LOG_LEVEL: "info", ANTHROPIC_API_KEY: TEST_KEY };
  return {
    dir,
    keyDir,
    env,
    workspace(name) {
      const ws = join(dir, name);
      mkdirSync(join(ws, "src"), { recursive: true });
      writeFileSync(join(ws, "src", "greet.ts"), OLD_GREET);
      writeFileSync(
        join(ws, "src", "math.ts"),
        "/** Adds two numbers. */\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n",
      );
      writeFileSync(join(ws, "README.md"), "# e2e workspace\n\nA workspace for the end-to-end tests.\n");
      return ws;
    },
    async [Symbol.asyncDispose]() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number | null>;
  /** Resolves with the first match of `re` in stdout+stderr. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Children still running; a test that fails or times out must not leave a daemon behind. */
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const c of live) c.kill("SIGKILL");
});
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

export function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Proc {
  const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const p: Proc = {
    child,
    out: "",
    err: "",
    exit: new Promise((res) => child.once("exit", (code, sig) => res(code ?? (sig ? 128 : null)))),
    async waitFor(re, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = (p.out + p.err).match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(
            `${cmd} ${args.join(" ")}: never printed ${re} (exit ${child.exitCode})\n${p.out}\n${p.err}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return p.exit;
    },
  };
  child.stdout?.on("data", (d) => {
    p.out += d;
  });
  child.stderr?.on("data", (d) => {
    p.err += d;
  });
  return p;
}

/** Waits until `fn` returns a truthy value (polling), or throws after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every SQLite database under `.ostk/` (WAL files excluded), recursively. */
export function sqliteFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sqliteFiles(p));
    else if (/\.(db|sqlite)$/.test(e.name)) out.push(p);
  }
  return out;
}

export function integrityCheck(file: string): string {
  const db = new Database(file, { readonly: false, fileMustExist: true });
  try {
    return (db.pragma("integrity_check", { simple: true }) as string) ?? "no result";
  } finally {
    db.close();
  }
}

/** Files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) hits.push(...filesContaining(p, needle));
    else if (e.isFile() && readFileSync(p).includes(needle)) hits.push(p);
  }
  return hits;
}

function onPath(cmd: string): boolean {
  try {
    execFileSync(cmd, ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}
const PNPM = onPath("pnpm") ? ["pnpm"] : ["npx", "-y", "pnpm@10"];

/**
 * Packs each layer with `pnpm pack` (what `npm publish` would ship: `files`, `bin`, rewritten
 * workspace ranges) and unpacks it into `<dir>/node_modules/@ostk/<name>`. The packed package's own
 * dependencies are linked to the monorepo's installed ones (an `npm install` of the tarballs would
 * build better-sqlite3 from source, ~3.5 min on this machine).
 */
export function unpackLayers(
  dir: string,
  names = ["lib", "kernel", "recall", "cache"],
): Record<string, string> {
  const packs = join(dir, "packs");
  mkdirSync(packs, { recursive: true });
  const roots: Record<string, string> = {};
  for (const name of names) {
    const pkgDir = join(REPO, "packages", name);
    const before = new Set(readdirSync(packs));
    execFileSync(PNPM[0], [...PNPM.slice(1), "pack", "--pack-destination", packs], {
      cwd: pkgDir,
      stdio: "pipe",
    });
    const tgz = readdirSync(packs).find((f) => !before.has(f) && f.endsWith(".tgz"));
    if (!tgz) throw new Error(`pnpm pack produced no tarball for ${name}`);
    const root = join(dir, "node_modules", "@ostk", name);
    mkdirSync(root, { recursive: true });
    execFileSync("tar", ["-xzf", join(packs, tgz), "-C", root, "--strip-components=1"]);
    symlinkSync(join(pkgDir, "node_modules"), join(root, "node_modules"), "dir");
    roots[name] = root;
  }
  return roots;
}

export function resolveFrom(dir: string, spec: string): string {
  return createRequire(join(dir, "noop.js")).resolve(spec);
}

export { dirname, require };
