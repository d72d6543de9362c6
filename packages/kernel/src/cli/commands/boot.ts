import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { loadConfig } from "../../daemon/config.js";
import { defaultKeyDir, KEY_FILE, keyInfo, trustedKeys } from "../../daemon/keys.js";
import { verifyJournalDir } from "../../journal/verify.js";
import { loadPin } from "../../policy/index.js";
import { probeSandbox } from "../../sandbox/index.js";
import { fastfsMissing, loadFastfs } from "../../util/fastfs.js";
import { replaceMethod } from "../../util/replace-file.js";
import type { CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";

export const bootHelp = `Usage: ostk boot [-C <dir>] [--json]

A read-only self-check (changes nothing): configuration, signing key (present, mode 0600,
outside the workspace), journal verification, capability pin, sandbox (Landlock ABI / Seatbelt
and exactly which protections are active), daemon socket, Node, SQLite, how files are replaced and
whether the journal records callers' processes (SO_PEERCRED). Prints a report and a confidence score 0–100 (the weighted share of checks that pass). Exit 0 when nothing failed.`;

export interface BootCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  weight: number;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(sock);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.once("connect", () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once("error", () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** Run every check; never writes. */
export async function bootChecks(workspace: string, env: NodeJS.ProcessEnv): Promise<BootCheck[]> {
  const checks: BootCheck[] = [];
  const add = (name: string, status: BootCheck["status"], detail: string, weight = 1) =>
    checks.push({ name, status, detail, weight });
  const stateDir = path.join(workspace, ".ostk");
  if (!fs.existsSync(stateDir)) {
    add("workspace", "fail", `${workspace} has no .ostk/; run \`ostk init\``, 3);
    return checks;
  }
  add("workspace", "ok", workspace, 1);
  const cfg = loadConfig(workspace, env);
  if (cfg.ok)
    add(
      "config",
      cfg.warnings.length ? "warn" : "ok",
      cfg.warnings.join("; ") || ".ostk/config.toml valid",
      2,
    );
  else add("config", "fail", cfg.errors.join("; "), 2);
  const keyDir =
    (cfg.ok && cfg.config.key_dir) || (env.OSTK_KEY_DIR ? path.resolve(env.OSTK_KEY_DIR) : defaultKeyDir());
  try {
    const info = keyInfo(path.join(keyDir, KEY_FILE));
    const inside = path.resolve(info.keyPath).startsWith(fs.realpathSync(workspace) + path.sep);
    if (inside) add("key", "fail", `${info.keyPath} is inside the workspace (agents can read it)`, 3);
    else if (info.mode & 0o077)
      add("key", "fail", `${info.keyPath} has mode 0${info.mode.toString(8)}; run chmod 600`, 3);
    else add("key", "ok", `${info.keyPath} (id ${info.keyId}, mode 0600)`, 3);
  } catch (err) {
    add("key", "fail", `${(err as Error).message}`, 3);
  }
  const keys = trustedKeys(keyDir);
  if (!fs.existsSync(path.join(stateDir, "journal.jsonl"))) add("journal", "ok", "empty (no entries yet)", 3);
  else {
    const v = await verifyJournalDir(stateDir, keys);
    if (v.ok) {
      add(
        "journal",
        v.checkpoint ? "ok" : "warn",
        `${v.entries} entries verify${v.checkpoint ? `, checkpoint at seq ${v.checkpoint.seq}` : ", no signed checkpoint yet (cut tail not detectable)"}`,
        3,
      );
    } else add("journal", "fail", `fails at seq ${v.firstBadSeq}: ${v.reason}`, 3);
  }
  try {
    const pin = loadPin(workspace, cfg.ok ? cfg.config.pin : "default");
    add(
      "pin",
      "ok",
      `pin "${(pin as { name?: string }).name ?? (cfg.ok ? cfg.config.pin : "default")}" parses`,
      2,
    );
  } catch (err) {
    add("pin", "fail", (err as Error).message, 2);
  }
  try {
    const p = probeSandbox();
    if (p.available) {
      const abi = p.mechanism === "landlock" ? `Landlock ABI ${p.landlockAbi}` : (p.mechanism ?? "");
      const missing = p.missing.length
        ? `; missing: ${p.missing.map((m) => `${m.protection} (${m.reason})`).join(", ")}`
        : "";
      add(
        "sandbox",
        p.missing.length ? "warn" : "ok",
        `${abi}; active: ${p.protections.join(", ")}${missing}`,
        3,
      );
    } else add("sandbox", "fail", `unavailable: ${p.reason ?? "unknown"}; bash/exec calls are refused`, 3);
  } catch (err) {
    add("sandbox", "fail", `probe failed: ${(err as Error).message}`, 3);
  }
  const sock = path.join(stateDir, "ostk.sock");
  if (!fs.existsSync(sock)) add("daemon", "warn", "not running (start with `ostk daemon --detach`)", 1);
  else if (await ping(sock)) {
    const mode = fs.statSync(sock).mode & 0o777;
    add("daemon", mode & 0o077 ? "fail" : "ok", `socket answers, mode 0${mode.toString(8)}`, 1);
  } else add("daemon", "warn", "stale socket (a crashed daemon); it is replaced on the next start", 1);
  const [maj, min] = process.versions.node.split(".").map(Number);
  add(
    "node",
    maj > 20 || (maj === 20 && min >= 19) ? "ok" : "fail",
    `Node ${process.versions.node} (need ≥ 20.19)`,
    1,
  );
  try {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(":memory:");
    db.close();
    add("sqlite", "ok", "better-sqlite3 native binding loads", 1);
  } catch (err) {
    add("sqlite", "fail", `better-sqlite3 does not load: ${(err as Error).message}`, 1);
  }
  const replace = replaceMethod();
  if (replace.method === "exchange")
    add("apply", "ok", "files are replaced by an atomic exchange (ostk-fastfs)", 1);
  else
    add(
      "apply",
      process.platform === "linux" ? "warn" : "ok",
      `files are replaced with rename(2), atomic but slower on ext4: ${replace.reason}`,
      1,
    );
  if (loadFastfs()?.peerCred)
    add("peer", "ok", "journal entries record the calling process (pid, uid, exe) as the OS reports it", 1);
  else
    add(
      "peer",
      process.platform === "linux" ? "warn" : "ok",
      `journal entries record only the identity callers claim: ${fastfsMissing() || "this ostk-fastfs build has no peerCred"}`,
      1,
    );
  return checks;
}

export function confidence(checks: BootCheck[]): number {
  const total = checks.reduce((s, c) => s + c.weight, 0);
  const got = checks.reduce(
    (s, c) => s + (c.status === "ok" ? c.weight : c.status === "warn" ? c.weight / 2 : 0),
    0,
  );
  return total ? Math.round((100 * got) / total) : 0;
}

export async function boot({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(bootHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const checks = await bootChecks(workspace, io.env);
  const score = confidence(checks);
  const failed = checks.some((c) => c.status === "fail");
  if (flags.json) io.out(JSON.stringify({ workspace, confidence: score, ok: !failed, checks }));
  else {
    for (const c of checks)
      io.out(
        `${c.status === "ok" ? "ok  " : c.status === "warn" ? "warn" : "FAIL"}  ${c.name.padEnd(10)} ${c.detail}`,
      );
    io.out(`confidence ${score}/100${failed ? " — fix the FAIL lines above" : ""}`);
  }
  return failed ? 1 : 0;
}
