import { lstatSync, readdirSync, realpathSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { OstkRpcError } from "@ostk/lib";
import {
  DEFAULT_LIMITS,
  DEVICE_PATHS,
  PROTECTED_WORKSPACE_PATHS,
  type SandboxLimits,
  type SandboxPolicy,
  SYSTEM_READ_PATHS,
  SYSTEM_SECRET_PATHS,
} from "./sandbox-policy.js";

/** The launcher's rules: absolute paths, resolved, with protected and secret paths carved out. */
export interface SandboxRules {
  /** Read + execute beneath each path. */
  read: string[];
  /** List-only directories (parents of carved-out secrets). */
  list: string[];
  /** Full write beneath each directory. */
  write: string[];
  /** Single plain files that are writable (children of a directory whose subtree holds a protected path). */
  writeFiles: string[];
  devices: string[];
  connectPorts: number[];
  bindPorts: number[];
  netOpen: boolean;
  allowUdp: boolean;
  allowUnix: boolean;
  allowChmod: boolean;
  /** Network "none": the launcher refuses IP sockets outright (seccomp), on any Landlock ABI. */
  noInet: boolean;
  limits: Required<SandboxLimits>;
  minLandlockAbi: number;
  /** Paths that ended up read-only or hidden, for the report (`.ostk`, hard-linked files…). */
  carvedOut: string[];
}

export interface CompileInput {
  workspace: string;
  policy?: SandboxPolicy;
  /** The per-call private temporary directory (writable). */
  tmpDir?: string;
  /** Extra read-only paths the kernel needs (e.g. the Node installation). */
  extraRead?: string[];
}

type Exclusion = { path: string; deny: "write" | "all" };
type Access = "ro" | "rw";

const MAX_RULES = 4000;
const HARDLINK_SCAN_LIMIT = 200_000;
const COARSEN_AT = 16;

function tryLstat(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function within(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith("/") ? parent : `${parent}/`);
}

class RuleSink {
  read: string[] = [];
  list: string[] = [];
  write: string[] = [];
  writeFiles: string[] = [];
  carvedOut = new Set<string>();
  get count(): number {
    return this.read.length + this.list.length + this.write.length + this.writeFiles.length;
  }
}

/**
 * Grant `access` beneath `path` except the exclusions. Landlock rules hold for a whole subtree, so a
 * subtree containing an exclusion is split: the directory itself gets a weaker rule and each child is
 * granted on its own (symlinks are skipped: their targets are checked by Landlock at open time).
 */
function grant(path: string, access: Access, excl: Exclusion[], sink: RuleSink, top: boolean): void {
  const st = tryLstat(path);
  if (!st) return;
  if (st.isSymbolicLink() && !top) return;
  const hit = excl.find((e) => e.path === path);
  if (hit?.deny === "all") {
    sink.carvedOut.add(path);
    return;
  }
  let acc = access;
  if (hit && acc === "rw") {
    sink.carvedOut.add(path);
    acc = "ro";
  }
  const inside = excl.filter((e) => e.path !== path && within(e.path, path));
  const relevant = acc === "rw" ? inside : inside.filter((e) => e.deny === "all");
  if (!st.isDirectory() || relevant.length === 0) {
    emit(path, acc, st, sink);
    return;
  }
  if (relevant.some((e) => e.deny === "all")) sink.list.push(path);
  else sink.read.push(path); // rw split: the directory stays readable, its entries are granted one by one
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return;
  }
  for (const name of names) grant(join(path, name), acc, relevant, sink, false);
  if (sink.count > MAX_RULES) {
    throw new OstkRpcError(
      "SandboxUnavailable",
      `the sandbox policy needs more than ${MAX_RULES} path rules (splitting ${path}); narrow the writable paths`,
    );
  }
}

function emit(path: string, acc: Access, st: Stats, sink: RuleSink): void {
  if (acc === "ro") {
    sink.read.push(path);
  } else if (st.isDirectory()) {
    sink.write.push(path);
  } else if (st.isFile() && st.nlink === 1) {
    sink.writeFiles.push(path);
  } else {
    sink.read.push(path);
    if (st.isFile()) sink.carvedOut.add(path);
  }
}

/** Regular files with more than one name inside `roots` (writing them could change a file elsewhere). */
export function findHardlinks(roots: string[], skip: string[]): string[] {
  const found: string[] = [];
  let seen = 0;
  const stack = [...roots];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (++seen > HARDLINK_SCAN_LIMIT) {
        throw new OstkRpcError(
          "SandboxUnavailable",
          `more than ${HARDLINK_SCAN_LIMIT} entries under the writable paths to check for hard links; ` +
            `narrow the writable paths or set the sandbox policy's hardlinks to "allow"`,
        );
      }
      if (skip.some((s) => within(p, s))) continue;
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        const st = tryLstat(p);
        if (st && st.nlink > 1) found.push(p);
      }
    }
  }
  return coarsen(found, roots);
}

/** Many excluded files in one directory: exclude the directory instead (keeps the rule count small). */
function coarsen(paths: string[], roots: string[]): string[] {
  let set = new Set(paths);
  for (;;) {
    const byParent = new Map<string, number>();
    for (const p of set) {
      const d = dirname(p);
      if (roots.includes(p)) continue;
      byParent.set(d, (byParent.get(d) ?? 0) + 1);
    }
    const big = [...byParent].filter(([, n]) => n > COARSEN_AT).map(([d]) => d);
    if (big.length === 0) return [...set];
    const next = new Set<string>();
    for (const p of set) if (!big.some((d) => within(p, d))) next.add(p);
    for (const d of big) next.add(d);
    set = next;
  }
}

const systemCache = new Map<string, RuleSink>();

function systemRules(secretPaths: string[]): RuleSink {
  const key = secretPaths.join("\0");
  const hit = systemCache.get(key);
  if (hit) return hit;
  const sink = new RuleSink();
  const excl: Exclusion[] = [...SYSTEM_SECRET_PATHS, ...secretPaths].map((p) => ({ path: p, deny: "all" }));
  for (const p of SYSTEM_READ_PATHS) grant(p, "ro", excl, sink, true);
  systemCache.set(key, sink);
  return sink;
}

/** Turn a policy into launcher rules for one call. Throws SandboxUnavailable when it cannot be expressed. */
export function compileRules(input: CompileInput): SandboxRules {
  const policy = input.policy ?? {};
  const ws = realOrSelf(resolve(input.workspace));
  const secretPaths = (policy.secretPaths ?? []).map((p) => realOrSelf(resolve(p)));
  const protectedPaths = [...PROTECTED_WORKSPACE_PATHS, ...(policy.protectedPaths ?? [])].map((p) =>
    join(ws, p),
  );
  const sys = systemRules(secretPaths);
  const sink = new RuleSink();
  const secretExcl: Exclusion[] = secretPaths.map((p) => ({ path: p, deny: "all" }));

  // Read: the workspace and extra paths.
  const readRoots = [ws, ...(input.extraRead ?? []), ...(policy.readable ?? [])].map((p) => realOrSelf(p));
  for (const p of readRoots) grant(p, "ro", secretExcl, sink, true);

  // Write: the policy's writable paths (default: the workspace), minus protected paths and hard links.
  const writable = (policy.writable ?? ["."]).map((p) => realOrSelf(isAbsolute(p) ? p : join(ws, p)));
  const excl: Exclusion[] = [
    ...secretExcl,
    ...protectedPaths.map((p): Exclusion => ({ path: p, deny: "write" })),
    ...systemSecretAsWrite(),
  ];
  if ((policy.hardlinks ?? "protect") === "protect") {
    const links = findHardlinks(
      writable,
      excl.map((e) => e.path),
    );
    for (const p of links) excl.push({ path: p, deny: "write" });
  }
  for (const p of writable) grant(p, "rw", excl, sink, true);
  if (input.tmpDir) grant(realOrSelf(input.tmpDir), "rw", [], sink, true);

  const net = policy.network ?? "none";
  const ports = typeof net === "object" ? net : {};
  const rules: SandboxRules = {
    read: [...sys.read, ...sink.read],
    list: [...sys.list, ...sink.list],
    write: sink.write,
    writeFiles: sink.writeFiles,
    devices: DEVICE_PATHS,
    connectPorts: [...new Set(ports.connect ?? [])].filter(validPort),
    bindPorts: [...new Set(ports.bind ?? [])].filter(validPort),
    netOpen: net === "open",
    allowUdp: net === "open",
    allowUnix: policy.allowUnixSockets === true,
    allowChmod: policy.allowChmod === true,
    noInet: net === "none",
    limits: { ...DEFAULT_LIMITS, ...(policy.limits ?? {}) },
    minLandlockAbi: Math.max(policy.minLandlockAbi ?? 1, typeof net === "object" ? 4 : 1),
    carvedOut: [...sys.carvedOut, ...sink.carvedOut],
  };
  const total = rules.read.length + rules.list.length + rules.write.length + rules.writeFiles.length;
  if (total > MAX_RULES) {
    throw new OstkRpcError(
      "SandboxUnavailable",
      `the sandbox policy needs ${total} path rules (max ${MAX_RULES})`,
    );
  }
  return rules;
}

function systemSecretAsWrite(): Exclusion[] {
  return SYSTEM_SECRET_PATHS.map((p) => ({ path: p, deny: "all" }));
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p > 0 && p <= 65535;
}

/** The launcher's argv (everything before `--`). */
export function launcherArgs(
  rules: SandboxRules,
  opts: { cwd: string; env: Record<string, string>; statusFd?: number; usePidsCgroup?: boolean },
): string[] {
  const a: string[] = [];
  for (const p of rules.read) a.push("--ro", p);
  for (const p of rules.list) a.push("--list", p);
  for (const p of rules.write) a.push("--rw", p);
  for (const p of rules.writeFiles) a.push("--wfile", p);
  for (const p of rules.devices) a.push("--dev", p);
  for (const p of rules.connectPorts) a.push("--connect", String(p));
  for (const p of rules.bindPorts) a.push("--bind", String(p));
  if (rules.netOpen) a.push("--net-open");
  if (rules.allowUdp) a.push("--allow-udp");
  if (rules.allowUnix) a.push("--allow-unix");
  if (rules.allowChmod) a.push("--allow-chmod");
  if (rules.noInet) a.push("--no-inet");
  a.push("--min-abi", String(rules.minLandlockAbi));
  for (const [k, v] of Object.entries(opts.env)) a.push("--env", `${k}=${v}`);
  a.push("--cwd", opts.cwd);
  a.push("--fsize", String(rules.limits.fileSizeBytes));
  a.push("--cpu", String(rules.limits.cpuSeconds));
  a.push("--nofile", String(rules.limits.openFiles));
  if (opts.usePidsCgroup) a.push("--pids-max", String(rules.limits.processes));
  else a.push("--nproc", String(rules.limits.processes));
  if (opts.statusFd !== undefined) a.push("--status-fd", String(opts.statusFd));
  return a;
}
