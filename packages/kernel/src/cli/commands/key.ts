import * as path from "node:path";
import { loadConfig } from "../../daemon/config.js";
import { defaultKeyDir, KEY_FILE, keyInfo, rotateKey } from "../../daemon/keys.js";
import { CliError, type CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";

export const keyHelp = `Usage: ostk key show [--json]
       ostk key rotate

show    prints the signing key's path, id, public key and file mode (never the secret).
rotate  replaces the signing key; the old public key stays trusted so old entries keep verifying.
        Restart the daemon afterwards so it signs with the new key.`;

export async function key({ args, flags, io }: CommandArgs): Promise<number> {
  const sub = args[0] ?? "show";
  if (flags.help) {
    io.out(keyHelp);
    return 0;
  }
  const workspace = workspaceOf(flags, io);
  const cfg = loadConfig(workspace, io.env);
  const keyDir =
    (cfg.ok && cfg.config.key_dir) ||
    (io.env.OSTK_KEY_DIR ? path.resolve(io.env.OSTK_KEY_DIR) : defaultKeyDir());
  if (sub === "show") {
    let info: ReturnType<typeof keyInfo>;
    try {
      info = keyInfo(path.join(keyDir, KEY_FILE));
    } catch (err) {
      throw new CliError(`${(err as Error).message}`, 1);
    }
    if (flags.json)
      io.out(
        JSON.stringify({
          path: info.keyPath,
          key_id: info.keyId,
          public_key: info.publicKeyHex,
          mode: info.mode,
        }),
      );
    else {
      io.out(`path        ${info.keyPath}`);
      io.out(`key id      ${info.keyId}`);
      io.out(`public key  ${info.publicKeyHex}`);
      io.out(
        `mode        0${info.mode.toString(8)}${info.mode & 0o077 ? "  (WARNING: readable by others; run chmod 600)" : ""}`,
      );
    }
    return 0;
  }
  if (sub === "rotate") {
    const r = rotateKey(keyDir);
    io.out(
      `rotated: ${r.previous.keyId} → ${r.current.keyId} (old key stays trusted for verification); restart the daemon`,
    );
    return 0;
  }
  throw new CliError(`unknown key subcommand "${sub}"\n\n${keyHelp}`, 2);
}
