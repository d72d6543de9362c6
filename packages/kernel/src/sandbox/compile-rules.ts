import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  type Stats,
  unlinkSync,
} from "node:fs";
import { isIP } from "node:net";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { OstkRpcError } from "@ostk/lib";
import {
  DEFAULT_LIMITS,
  DEVICE_PATHS,
  defaultSecretPaths,
  PROTECTED_WORKSPACE_PATHS,
  type SandboxLimits,
  type SandboxPolicy,
  SHELL_STARTUP_PATHS,
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
  /** TCP connects allowed to exactly these addresses (IP literal + port), checked by the supervisor. */
  connectHosts: { ip: string; port: number }[];
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
  /** Paths made read-only by bind mounts in a private mount namespace (mount mode). */
  roBinds: string[];
  /** Directories bind-mounted onto themselves (still writable) so they cannot be renamed: ancestors of `roBinds`. */
  pins: string[];
  /** Sockets hidden behind /dev/null in mount mode (the kernel's `.ostk/*.sock` when unix sockets are allowed). */
  masks: string[];
  /** Protected names that do not exist and, in mount mode, could be created (see `droppableInMountMode`). */
  unprotected: string[];
  /**
   * Empty read-only files created for missing protected names (or their topmost missing ancestor) so they
   * can be bind-mounted read-only in mount mode: the name cannot be created while the call runs, and its
   * parent (the workspace root for `Agentfile`) stays open for new entries. Release them with
   * `releasePlaceholders` after the call.
   */
  placeholders: string[];
}

export interface CompileInput {
  workspace: string;
  policy?: SandboxPolicy;
  /** The per-call private temporary directory (writable). */
  tmpDir?: string;
  /** Extra read-only paths the kernel needs (e.g. the Node installation). */
  extraRead?: string[];
  /**
   * Use a private mount namespace: existing protected paths become read-only bind mounts instead of
   * splitting the Landlock rules, so new files can be created anywhere in the writable trees.
   */
  mountNamespace?: boolean;
  /**
   * Reuse a hard-link scan of the same writable paths younger than this (default 30 s). Commands in the
   * sandbox cannot create hard links to outside files, so only tools outside it can add new ones.
   */
  hardlinkScanTtlMs?: number;
}

type Exclusion = { path: string; deny: "write" | "all" };
type Access = "ro" | "rw";

const MAX_RULES = 4000;
const HARDLINK_SCAN_LIMIT = 200_000;
/** Coarser and coarser carve-outs for hard-linked files until the rules fit (pnpm's node_modules…). */
const HARDLINK_DEPTHS = [Number.POSITIVE_INFINITY, 8, 6, 4, 3, 2, 1];
const MAX_BINDS = 512;

/** Built-in names that only matter in a home directory or need a human's consent anyway (direnv). */
const HOME_ONLY = new Set<string>(SHELL_STARTUP_PATHS);

/**
 * Missing protected names that get no placeholder in mount mode (see `acquirePlaceholder`): home-only
 * names are left creatable when no writable tree contains $HOME (an empty `.bashrc` would be noise), and a
 * missing `.git/*` is left creatable (an empty `.git/commondir` would break git outside the sandbox;
 * `runSandboxed` removes ones a command creates in an existing repository).
 */
function droppableInMountMode(p: string, ws: string, homeWritable: boolean): boolean {
  const rel = p.startsWith(`${ws}/`) ? p.slice(ws.length + 1) : null;
  if (rel === null) return false;
  if (HOME_ONLY.has(rel)) return !homeWritable;
  // .git/* missing: either no repository yet (one the command creates is its own), or a broken one
  if (rel.startsWith(".git/")) return true;
  return false;
}

/** Per-compile memo of lstat/readdir (retries at coarser depths walk the same directories). */
let memo: { stats: Map<string, Stats | null>; dirs: Map<string, string[] | null> } | null = null;

function tryLstat(p: string): Stats | null {
  const cached = memo?.stats.get(p);
  if (cached !== undefined) return cached;
  let st: Stats | null;
  try {
    st = lstatSync(p);
  } catch {
    st = null;
  }
  memo?.stats.set(p, st);
  return st;
}

function tryReaddir(p: string): string[] | null {
  const cached = memo?.dirs.get(p);
  if (cached !== undefined) return cached;
  let names: string[] | null;
  try {
    names = readdirSync(p);
  } catch {
    names = null;
  }
  memo?.dirs.set(p, names);
  return names;
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

class RuleBudgetExceeded extends OstkRpcError {
  constructor(path: string, budget: number) {
    super(
      "SandboxUnavailable",
      `the sandbox policy needs more than ${budget} path rules (splitting ${path}); narrow the writable paths`,
    );
  }
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
  absorb(o: RuleSink): void {
    this.read.push(...o.read);
    this.list.push(...o.list);
    this.write.push(...o.write);
    this.writeFiles.push(...o.writeFiles);
    for (const c of o.carvedOut) this.carvedOut.add(c);
  }
}

/**
 * Grant `access` beneath `path` except the exclusions. Landlock rules hold for a whole subtree, so a
 * subtree containing an exclusion is split: the directory itself gets a weaker rule and each child is
 * granted on its own (symlinks are skipped: their targets are checked by Landlock at open time).
 */
function grant(
  path: string,
  access: Access,
  idx: ExclusionIndex,
  sink: RuleSink,
  top: boolean,
  budget = MAX_RULES,
): void {
  const st = tryLstat(path);
  if (!st) return;
  if (st.isSymbolicLink() && !top) return;
  const hit = idx.byPath.get(path);
  if (hit === "all") {
    sink.carvedOut.add(path);
    return;
  }
  let acc = access;
  if (hit && acc === "rw") {
    sink.carvedOut.add(path);
    acc = "ro";
  }
  const split = acc === "rw" ? idx.ancestorsAny.has(path) : idx.ancestorsAll.has(path);
  if (!st.isDirectory() || !split) {
    emit(path, acc, st, sink);
    return;
  }
  if (idx.ancestorsAll.has(path)) sink.list.push(path);
  else sink.read.push(path); // rw split: the directory stays readable, its entries are granted one by one
  const names = tryReaddir(path);
  if (!names) return;
  for (const name of names) {
    grant(join(path, name), acc, idx, sink, false, budget);
    if (sink.count > budget) throw new RuleBudgetExceeded(path, budget);
  }
}

/** Exclusions by path, and every directory that has one beneath it (O(1) checks while walking). */
class ExclusionIndex {
  readonly byPath = new Map<string, Exclusion["deny"]>();
  readonly ancestorsAny = new Set<string>();
  readonly ancestorsAll = new Set<string>();
  constructor(excl: readonly Exclusion[]) {
    for (const e of excl) {
      if (this.byPath.get(e.path) !== "all") this.byPath.set(e.path, e.deny);
      for (let d = dirname(e.path); ; d = dirname(d)) {
        this.ancestorsAny.add(d);
        if (e.deny === "all") this.ancestorsAll.add(d);
        if (d === "/" || d === ".") break;
      }
    }
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
  return found;
}

/** The ancestor of `p` at `depth` components below its writable root (or `p` when it is shallower). */
function ancestorAt(p: string, roots: string[], depth: number): string {
  const root = roots.filter((r) => within(p, r)).sort((a, b) => b.length - a.length)[0];
  if (!root || !Number.isFinite(depth)) return p;
  const rest = p.slice(root.length).split("/").filter(Boolean);
  return rest.length <= depth ? p : join(root, ...rest.slice(0, depth));
}

const scanCache = new Map<string, { at: number; links: string[] }>();

/** `findHardlinks`, reusing a scan younger than `ttlMs` for the same roots. */
function cachedHardlinks(roots: string[], skip: string[], ttlMs: number): string[] {
  const key = JSON.stringify([roots, skip]);
  const hit = scanCache.get(key);
  if (hit && Date.now() - hit.at < ttlMs) return hit.links;
  const links = findHardlinks(roots, skip);
  scanCache.set(key, { at: Date.now(), links });
  return links;
}

const systemCache = new Map<string, RuleSink>();

function systemRules(secretPaths: string[]): RuleSink {
  const key = secretPaths.join("\0");
  const hit = systemCache.get(key);
  if (hit) return hit;
  const sink = new RuleSink();
  const excl: Exclusion[] = [...SYSTEM_SECRET_PATHS, ...secretPaths].map((p) => ({ path: p, deny: "all" }));
  const idx = new ExclusionIndex(excl);
  for (const p of SYSTEM_READ_PATHS) grant(p, "ro", idx, sink, true);
  systemCache.set(key, sink);
  return sink;
}

/** Turn a policy into launcher rules for one call. Throws SandboxUnavailable when it cannot be expressed. */
export function compileRules(input: CompileInput): SandboxRules {
  memo = { stats: new Map(), dirs: new Map() };
  const placeholders: string[] = [];
  try {
    return compile(input, placeholders);
  } catch (err) {
    releasePlaceholders(placeholders);
    throw err;
  } finally {
    memo = null;
  }
}

/**
 * Placeholders in use by calls of this process, by path: concurrent calls share one (removing it while
 * another call's namespace has it mounted would detach that mount and make the name creatable there).
 */
const livePlaceholders = new Map<string, { dev: number; ino: number; users: number }>();

/** Create (or share) the empty read-only placeholder at `p`; false when something else is there. */
function acquirePlaceholder(p: string, acquired: string[]): boolean {
  const live = livePlaceholders.get(p);
  const st = tryLstat(p);
  if (live && st && st.dev === live.dev && st.ino === live.ino) {
    live.users++;
    acquired.push(p);
    return true;
  }
  if (st) return false;
  try {
    closeSync(openSync(p, "wx", 0o444));
  } catch {
    return false;
  }
  memo?.stats.delete(p);
  const created = tryLstat(p);
  if (!created) return false;
  livePlaceholders.set(p, { dev: created.dev, ino: created.ino, users: 1 });
  acquired.push(p);
  return true;
}

/** Remove the placeholders of one call (`SandboxRules.placeholders`) once no other call uses them. */
export function releasePlaceholders(paths: readonly string[]): void {
  for (const p of paths) {
    const live = livePlaceholders.get(p);
    if (!live || --live.users > 0) continue;
    livePlaceholders.delete(p);
    try {
      const st = lstatSync(p);
      if (st.isFile() && st.size === 0 && st.dev === live.dev && st.ino === live.ino) unlinkSync(p);
    } catch {}
  }
}

function compile(input: CompileInput, placeholders: string[]): SandboxRules {
  const policy = input.policy ?? {};
  const ws = realOrSelf(resolve(input.workspace));
  const secretPaths = [...new Set([...defaultSecretPaths(), ...(policy.secretPaths ?? [])])].map((p) =>
    realOrSelf(resolve(p)),
  );
  const protectedPaths = [...PROTECTED_WORKSPACE_PATHS, ...(policy.protectedPaths ?? [])].map((p) =>
    join(ws, p),
  );
  const sys = systemRules(secretPaths);
  const sink = new RuleSink();
  const secretExcl: Exclusion[] = secretPaths.map((p) => ({ path: p, deny: "all" }));

  // Read: the workspace and extra paths.
  const readRoots = [ws, ...(input.extraRead ?? []), ...(policy.readable ?? [])].map((p) => realOrSelf(p));
  const secretIdx = new ExclusionIndex(secretExcl);
  for (const p of readRoots) grant(p, "ro", secretIdx, sink, true);

  // Write: the policy's writable paths (default: the workspace), minus protected paths and hard links.
  const writable = (policy.writable ?? ["."]).map((p) => realOrSelf(isAbsolute(p) ? p : join(ws, p)));
  const excl: Exclusion[] = [
    ...secretExcl,
    ...protectedPaths.map((p): Exclusion => ({ path: p, deny: "write" })),
    ...systemSecretAsWrite(),
  ];
  const links =
    (policy.hardlinks ?? "protect") === "protect"
      ? cachedHardlinks(
          writable,
          excl.map((e) => e.path),
          input.hardlinkScanTtlMs ?? 30_000,
        )
      : [];
  const roBinds: string[] = [];
  const pins = new Set<string>();
  const unprotected: string[] = [];
  let splitExcl = excl;
  if (input.mountNamespace) {
    // Existing protected paths become read-only bind mounts, so writable trees need no split and new
    // entries can be created anywhere in them (the workspace root included).
    splitExcl = [];
    const home = process.env.HOME ? realOrSelf(process.env.HOME) : undefined;
    const homeWritable = home !== undefined && writable.some((w) => within(home, w));
    // A missing .git/hooks or .git/info could only be kept uncreatable by splitting the workspace root;
    // create them (empty, as `git init` does) so they can be bind-mounted read-only like the rest.
    if (tryLstat(join(ws, ".git"))?.isDirectory()) {
      for (const d of [".git/hooks", ".git/info"]) {
        if (tryLstat(join(ws, d)) !== null) continue;
        try {
          mkdirSync(join(ws, d), { mode: 0o755 });
          memo?.stats.delete(join(ws, d));
        } catch {}
      }
    }
    // Existing protected paths first, so a missing name beneath one (`.ostk/agents`) is already covered.
    const ordered = [...excl].sort((a, b) => Number(!tryLstat(a.path)) - Number(!tryLstat(b.path)));
    for (const e of ordered) {
      const inWritable = e.deny === "write" && writable.some((w) => within(e.path, w));
      let st = inWritable ? tryLstat(e.path) : null;
      // Another call's placeholder: share it, so it is not removed while this call has it mounted.
      if (st && livePlaceholders.has(e.path)) acquirePlaceholder(e.path, placeholders);
      if (inWritable && !st && roBinds.some((b) => within(e.path, b))) continue; // under a read-only mount
      if (inWritable && !st && !droppableInMountMode(e.path, ws, homeWritable)) {
        // A missing protected name: an empty placeholder is bind-mounted read-only over it (or over its
        // topmost missing ancestor) instead of splitting its parent, which would refuse every new entry there.
        const root = writable.filter((w) => within(e.path, w)).sort((a, b) => b.length - a.length)[0]!;
        let top = e.path;
        while (dirname(top) !== top && within(dirname(top), root) && !tryLstat(dirname(top)))
          top = dirname(top);
        if (top !== root && roBinds.includes(top)) continue;
        if (top !== root && tryLstat(dirname(top))?.isDirectory() && acquirePlaceholder(top, placeholders)) {
          st = tryLstat(top);
          if (st) {
            roBinds.push(top);
            for (let d = dirname(top); d !== root && within(d, root); d = dirname(d)) pins.add(d);
            continue;
          }
        }
      }
      if (st && !st.isSymbolicLink()) {
        roBinds.push(e.path);
        // The name matters (git reads .git/hooks by path): its ancestors below the writable root become
        // mount points too, so `mv .git elsewhere && mkdir -p .git/hooks` cannot replace it.
        const root = writable.filter((w) => within(e.path, w)).sort((a, b) => b.length - a.length)[0]!;
        for (let d = dirname(e.path); d !== root && within(d, root); d = dirname(d)) pins.add(d);
        continue;
      }
      if (e.deny === "write" && !st && droppableInMountMode(e.path, ws, homeWritable)) {
        unprotected.push(e.path);
        continue;
      }
      splitExcl.push(e);
    }
  }
  const budget = MAX_RULES - sys.count - sink.count;
  let writeSink: RuleSink | undefined;
  for (const depth of links.length > 0 ? HARDLINK_DEPTHS : [Number.POSITIVE_INFINITY]) {
    const carve = [...new Set(links.map((p) => ancestorAt(p, writable, depth)))];
    if (carve.length >= (input.mountNamespace ? MAX_BINDS : budget)) continue; // cannot fit
    const attempt = new RuleSink();
    const carveExcl = input.mountNamespace ? [] : carve.map((c): Exclusion => ({ path: c, deny: "write" }));
    const idx = new ExclusionIndex([...splitExcl, ...carveExcl]);
    try {
      for (const p of writable) grant(p, "rw", idx, attempt, true, budget);
      writeSink = attempt;
      if (input.mountNamespace) {
        roBinds.push(...carve);
        for (const c of carve) attempt.carvedOut.add(c);
      }
      break;
    } catch (err) {
      if (!(err instanceof RuleBudgetExceeded)) throw err;
    }
  }
  if (!writeSink) {
    throw new OstkRpcError(
      "SandboxUnavailable",
      `the writable paths need more than ${MAX_RULES} Landlock rules to keep hard-linked files read-only; ` +
        `narrow the writable paths or set the sandbox policy's hardlinks to "allow"`,
    );
  }
  for (const b of roBinds) writeSink.carvedOut.add(b);
  // Unix sockets allowed: pathname connects are not confined by Landlock below ABI 9, so in mount mode
  // the kernel's own sockets are masked with /dev/null.
  const masks: string[] = [];
  if (input.mountNamespace && policy.allowUnixSockets) {
    for (const name of tryReaddir(join(ws, ".ostk")) ?? []) {
      const p = join(ws, ".ostk", name);
      if (tryLstat(p)?.isSocket()) masks.push(p);
    }
  }
  sink.absorb(writeSink);
  if (input.tmpDir) grant(realOrSelf(input.tmpDir), "rw", new ExclusionIndex([]), sink, true);

  const net = policy.network ?? "none";
  const ports = typeof net === "object" ? net : {};
  const rules: SandboxRules = {
    read: [...sys.read, ...sink.read],
    list: [...sys.list, ...sink.list],
    write: sink.write,
    writeFiles: sink.writeFiles,
    devices: DEVICE_PATHS,
    connectPorts: [
      ...new Set((ports.connect ?? []).filter((p): p is number => typeof p === "number")),
    ].filter(validPort),
    connectHosts: (ports.connect ?? []).filter((p): p is string => typeof p === "string").map(parseHostPort),
    bindPorts: [...new Set(ports.bind ?? [])].filter(validPort),
    netOpen: net === "open",
    allowUdp: net === "open",
    allowUnix: policy.allowUnixSockets === true,
    allowChmod: policy.allowChmod === true,
    noInet: net === "none",
    limits: { ...DEFAULT_LIMITS, ...(policy.limits ?? {}) },
    minLandlockAbi: Math.max(policy.minLandlockAbi ?? 1, typeof net === "object" ? 4 : 1),
    carvedOut: [...sys.carvedOut, ...sink.carvedOut],
    roBinds,
    pins: [...pins].sort((a, b) => a.length - b.length),
    masks,
    unprotected,
    placeholders,
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

/** `"127.0.0.1:5432"` or `"[::1]:8080"` → {ip, port}; anything else (host names too) is refused. */
export function parseHostPort(s: string): { ip: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s) ?? /^([0-9.]+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : 0;
  if (!m || !isIP(m[1]!) || !validPort(port)) {
    throw new OstkRpcError(
      "InvalidParams",
      `network.connect entry ${JSON.stringify(s)} must be a port or "IP:port" / "[IPv6]:port" (IP literals only)`,
    );
  }
  return { ip: m[1]!, port };
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
  for (const h of rules.connectHosts) a.push("--connect-host", h.ip, String(h.port));
  for (const p of rules.bindPorts) a.push("--bind", String(p));
  if (rules.netOpen) a.push("--net-open");
  if (rules.allowUdp) a.push("--allow-udp");
  if (rules.allowUnix) a.push("--allow-unix");
  if (rules.allowChmod) a.push("--allow-chmod");
  if (rules.noInet) a.push("--no-inet");
  for (const p of rules.pins) a.push("--pin", p);
  for (const p of rules.roBinds) a.push("--ro-bind", p);
  for (const p of rules.masks) a.push("--mask", p);
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
