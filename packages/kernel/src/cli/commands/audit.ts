import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CHECKPOINT_FILE,
  canonicalJson,
  type JournalCheckpoint,
  type JournalEntry,
  recordHash,
} from "@ostk/lib";
import { loadConfig } from "../../daemon/config.js";
import { defaultKeyDir, trustedKeys } from "../../daemon/keys.js";
import { queryEntries } from "../../journal/read.js";
import { verifyJournalDir } from "../../journal/verify.js";
import { CliError, type CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";

export const auditHelp = `Usage: ostk audit verify [--json]
       ostk audit log [--since <seq|ISO time|duration like 10m>] [--path <p>] [--actor <id>] [--limit <n>] [--json]
       ostk audit seal --gpg [--gpg-key <id>]

verify  checks every line of .ostk/journal.jsonl and the sealed epochs: canonical form,
        contiguous seq, hash chain, Ed25519 signatures by your trusted keys, seal records and
        the signed checkpoint (a cut tail). Exit 3 and the first bad seq on failure.
log     prints committed entries (intents hidden unless --all).
seal    adds a detached GPG signature (your default gpg key, in batch mode) to the current
        signed checkpoint, so the journal head is also vouched for by your GPG identity.`;

function keyDirFor(workspace: string, env: NodeJS.ProcessEnv): string {
  const cfg = loadConfig(workspace, env);
  return (
    (cfg.ok && cfg.config.key_dir) || (env.OSTK_KEY_DIR ? path.resolve(env.OSTK_KEY_DIR) : defaultKeyDir())
  );
}

function parseSince(v: string): { seq?: number; ts?: number } {
  if (/^\d+$/.test(v)) return { seq: Number(v) };
  const d = /^(\d+)(s|m|h|d)$/.exec(v);
  if (d) return { ts: Date.now() - Number(d[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[d[2] as "s"] };
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new CliError(`--since: "${v}" is not a seq, an ISO time or a duration (10m, 2h)`, 2);
  return { ts: t };
}

function formatEntry(e: JournalEntry): string {
  const when = new Date(e.ts).toISOString();
  const gen = e.gen_after !== undefined ? ` gen ${e.gen_before ?? 0}→${e.gen_after}` : "";
  const op = typeof e.data?.op === "string" ? ` ${e.data.op}` : "";
  const to = typeof e.data?.to === "string" ? ` → ${e.data.to}` : "";
  return `${String(e.seq).padStart(6)} ${when} ${e.event}${op} ${e.path ?? ""}${to}${gen} by ${e.actor.id}${e.actor.session ? `/${e.actor.session.slice(0, 8)}` : ""}${e.actor.peer ? ` (pid ${e.actor.peer.pid} ${path.basename(e.actor.peer.exe ?? "?")})` : ""}`;
}

export async function audit({ args, flags, io }: CommandArgs): Promise<number> {
  const sub = args[0];
  if (flags.help || !sub) {
    io.out(auditHelp);
    return flags.help ? 0 : 2;
  }
  const workspace = workspaceOf(flags, io);
  const stateDir = path.join(workspace, ".ostk");
  if (!fs.existsSync(stateDir)) throw new CliError(`${workspace} has no .ostk/; run \`ostk init\` first`, 2);
  if (sub === "verify") {
    const keys = trustedKeys(keyDirFor(workspace, io.env));
    if (!keys.length)
      throw new CliError("no trusted public keys found in your key directory; cannot verify signatures", 3);
    const r = await verifyJournalDir(stateDir, keys);
    if (flags.json) io.out(JSON.stringify(r));
    else if (r.ok) {
      io.out(
        `journal ok: ${r.entries} entries, ${r.epochs} sealed epoch(s), head seq ${r.lastSeq}${r.checkpoint ? `, checkpoint at seq ${r.checkpoint.seq} verified` : ", no checkpoint yet"}`,
      );
    } else {
      io.out(`journal FAILED at seq ${r.firstBadSeq}: ${r.reason}`);
      io.out(
        `entries 1..${r.lastSeq} verified; nothing was changed. Restore .ostk/ from a backup or investigate who edited it.`,
      );
    }
    return r.ok ? 0 : 3;
  }
  if (sub === "log") {
    const since = typeof flags.since === "string" ? parseSince(flags.since) : {};
    const limit = typeof flags.limit === "string" ? Number(flags.limit) : 1000;
    const entries = queryEntries(stateDir, {
      sinceSeq: since.seq,
      sinceTs: since.ts,
      path: typeof flags.path === "string" ? flags.path : undefined,
      actor: typeof flags.actor === "string" ? flags.actor : undefined,
      limit: 1_000_000,
    }).filter((e) => flags.all || e.event !== "fs.intent");
    const shown = entries.slice(Math.max(0, entries.length - limit));
    for (const e of shown) io.out(flags.json ? JSON.stringify(e) : formatEntry(e));
    return 0;
  }
  if (sub === "seal") {
    if (!flags.gpg) throw new CliError("audit seal needs --gpg (the only sealing backend)", 2);
    const file = path.join(stateDir, CHECKPOINT_FILE);
    let cp: JournalCheckpoint;
    try {
      cp = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      throw new CliError(
        "no signed checkpoint yet (one is written every 512 entries and at daemon shutdown)",
        1,
      );
    }
    const { sig: _s, gpg_sig: _g, ...body } = cp;
    const gpgArgs = ["--batch", "--yes", "--armor", "--detach-sign"];
    if (typeof flags["gpg-key"] === "string") gpgArgs.push("--local-user", flags["gpg-key"]);
    const res = spawnSync("gpg", gpgArgs, { input: canonicalJson(body), encoding: "utf8" });
    if (res.error || res.status !== 0) {
      throw new CliError(
        `gpg failed: ${res.error?.message ?? res.stderr.trim()}; the checkpoint was left unchanged`,
        1,
      );
    }
    const sealed = { ...cp, gpg_sig: res.stdout };
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${canonicalJson(sealed)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
    io.out(`checkpoint at seq ${cp.seq} (head ${recordHash(cp).slice(0, 16)}…) now carries a GPG signature`);
    return 0;
  }
  throw new CliError(`unknown audit subcommand "${sub}"\n\n${auditHelp}`, 2);
}
