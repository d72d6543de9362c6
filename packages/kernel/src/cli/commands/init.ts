import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_CONFIG_TOML, loadConfig } from "../../daemon/config.js";
import { defaultKeyDir, ensureKey } from "../../daemon/keys.js";
import { DEFAULT_PIN_TEXT } from "../../policy/index.js";
import { CliError, type CommandArgs } from "../io.js";

export const initHelp = `Usage: ostk init [-C <dir>] [--json]

Creates <dir>/.ostk/ (mode 0700) with config.toml and pins/default/pin.caps when missing, and
your Ed25519 signing key outside the workspace (OSTK_KEY_DIR, else ~/.config/ostk/keys/signing.key,
mode 0600) when you have none. Existing files are never overwritten.`;

/** `ostk init`: workspace state and the user's signing key. Idempotent. */
export async function init({ flags, io }: CommandArgs): Promise<number> {
  if (flags.help) {
    io.out(initHelp);
    return 0;
  }
  const workspace = typeof flags.workspace === "string" ? path.resolve(io.cwd, flags.workspace) : io.cwd;
  const stateDir = path.join(workspace, ".ostk");
  const created: string[] = [];
  if (!fs.existsSync(stateDir)) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    created.push(".ostk/");
  }
  const configPath = path.join(stateDir, "config.toml");
  if (!fs.existsSync(configPath)) {
    fs.writeFileSync(configPath, DEFAULT_CONFIG_TOML, { mode: 0o644 });
    created.push(".ostk/config.toml");
  }
  const pinPath = path.join(stateDir, "pins", "default", "pin.caps");
  if (!fs.existsSync(pinPath)) {
    fs.mkdirSync(path.dirname(pinPath), { recursive: true });
    fs.writeFileSync(pinPath, DEFAULT_PIN_TEXT, { mode: 0o644 });
    created.push(".ostk/pins/default/pin.caps");
  }
  const cfg = loadConfig(workspace, io.env);
  if (!cfg.ok) throw new CliError(`the kernel configuration is invalid:\n  ${cfg.errors.join("\n  ")}`, 2);
  const keyDir =
    cfg.config.key_dir ?? (io.env.OSTK_KEY_DIR ? path.resolve(io.env.OSTK_KEY_DIR) : defaultKeyDir());
  if (path.resolve(keyDir).startsWith(fs.realpathSync(workspace) + path.sep)) {
    throw new CliError(
      `the key directory ${keyDir} is inside the workspace; an agent could read it. Choose another.`,
      2,
    );
  }
  const { created: keyCreated, info } = ensureKey(keyDir);
  if (flags.json) {
    io.out(
      JSON.stringify({
        workspace,
        created,
        key: { path: info.keyPath, key_id: info.keyId, created: keyCreated },
      }),
    );
    return 0;
  }
  io.out(`workspace ${workspace}`);
  for (const c of created) io.out(`  created ${c}`);
  if (!created.length) io.out("  .ostk/ already set up; nothing changed");
  io.out(
    `signing key ${info.keyPath} (${keyCreated ? "created" : "existing"}, id ${info.keyId}, mode 0${info.mode.toString(8)})`,
  );
  io.out("next: `ostk daemon --detach`, then `ostk boot`");
  return 0;
}
