import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "smol-toml";

/** `.ostk/config.toml`, validated. Precedence: defaults → file → OSTK_* env → flags. */
export interface KernelConfig {
  /** Capability pin selected for sessions (`.ostk/pins/<name>/pin.caps`). */
  pin: string;
  /** Directory of the user's signing key. */
  key_dir: string | null;
  journal: { rotate_bytes: number; checkpoint_every: number };
  limits: { max_file_bytes: number; max_frame_bytes: number };
}

export const DEFAULT_CONFIG: KernelConfig = {
  pin: "default",
  key_dir: null,
  journal: { rotate_bytes: 64 * 1024 * 1024, checkpoint_every: 512 },
  limits: { max_file_bytes: 32 * 1024 * 1024, max_frame_bytes: 48 * 1024 * 1024 },
};

export const DEFAULT_CONFIG_TOML = `# ostk kernel configuration (flags > OSTK_* env > this file > defaults)
pin = "default"
# key_dir = "~/.config/ostk/keys"   # where the signing key lives (never inside the workspace)

[journal]
rotate_bytes = ${DEFAULT_CONFIG.journal.rotate_bytes}      # seal the live journal into an epoch past this size
checkpoint_every = ${DEFAULT_CONFIG.journal.checkpoint_every}          # signed checkpoint every N entries (and at shutdown)

[limits]
max_file_bytes = ${DEFAULT_CONFIG.limits.max_file_bytes}    # largest file read or written through syscalls
max_frame_bytes = ${DEFAULT_CONFIG.limits.max_frame_bytes}   # largest JSON-RPC frame on the socket
`;

export type ConfigResult =
  | { ok: true; config: KernelConfig; warnings: string[] }
  | { ok: false; errors: string[] };

function posInt(v: unknown, at: string, errors: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "bigint") v = Number(v);
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    errors.push(`${at}: must be a positive integer`);
    return undefined;
  }
  return v;
}

export function loadConfig(workspace: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const file = path.join(workspace, ".ostk", "config.toml");
  const errors: string[] = [];
  const warnings: string[] = [];
  const config: KernelConfig = structuredClone(DEFAULT_CONFIG);
  let raw: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try {
      raw = parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (err) {
      return { ok: false, errors: [`${file}: ${(err as Error).message}`] };
    }
  }
  for (const key of Object.keys(raw)) {
    if (!["pin", "key_dir", "journal", "limits"].includes(key))
      warnings.push(`${key}: unknown setting, ignored`);
  }
  if (raw.pin !== undefined) {
    if (typeof raw.pin !== "string" || !/^[\w.-]+$/.test(raw.pin)) errors.push("pin: must be a pin name");
    else config.pin = raw.pin;
  }
  if (raw.key_dir !== undefined) {
    if (typeof raw.key_dir !== "string") errors.push("key_dir: must be a path");
    else config.key_dir = raw.key_dir.replace(/^~(?=\/)/, process.env.HOME ?? "~");
  }
  const j = (raw.journal ?? {}) as Record<string, unknown>;
  config.journal.rotate_bytes =
    posInt(j.rotate_bytes, "journal.rotate_bytes", errors) ?? config.journal.rotate_bytes;
  config.journal.checkpoint_every =
    posInt(j.checkpoint_every, "journal.checkpoint_every", errors) ?? config.journal.checkpoint_every;
  const l = (raw.limits ?? {}) as Record<string, unknown>;
  config.limits.max_file_bytes =
    posInt(l.max_file_bytes, "limits.max_file_bytes", errors) ?? config.limits.max_file_bytes;
  config.limits.max_frame_bytes =
    posInt(l.max_frame_bytes, "limits.max_frame_bytes", errors) ?? config.limits.max_frame_bytes;
  if (env.OSTK_PIN) config.pin = env.OSTK_PIN;
  if (env.OSTK_KEY_DIR) config.key_dir = env.OSTK_KEY_DIR;
  if (config.key_dir && path.resolve(config.key_dir).startsWith(path.resolve(workspace) + path.sep)) {
    errors.push("key_dir: must be outside the workspace (an agent could read the key)");
  }
  return errors.length ? { ok: false, errors } : { ok: true, config, warnings };
}
