import * as path from "node:path";
import {
  type ConfigIssue,
  type ConfigSpec,
  formatConfigIssue,
  type LayeredConfig,
  loadLayeredConfig,
  type Provenance,
} from "@ostk/lib";

/** `.ostk/config.toml` (top level), validated. Precedence: defaults → file → OSTK_* env → flags. */
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

const positive = { type: "integer", min: 1 } as const;

/** The kernel's settings: the top level of `.ostk/config.toml` (the other tables belong to other layers). */
export const KERNEL_CONFIG_SPEC: ConfigSpec<KernelConfig> = {
  layer: "kernel",
  defaults: DEFAULT_CONFIG,
  siblings: ["ostkd", "recall", "cache"],
  fields: {
    pin: {
      type: "string",
      pattern: /^[\w.-]+$/,
      patternHint: "a pin name (letters, digits, _ . -)",
      doc: "capability pin for sessions",
    },
    key_dir: {
      type: "string",
      patternHint: "a directory path",
      transform: (v) => v.replace(/^~(?=\/)/, process.env.HOME ?? "~"),
      doc: "directory of your signing key (outside the workspace)",
    },
    journal: { type: "section", fields: { rotate_bytes: positive, checkpoint_every: positive } },
    limits: { type: "section", fields: { max_file_bytes: positive, max_frame_bytes: positive } },
  },
  env: [
    { name: "OSTK_PIN", key: "pin" },
    { name: "OSTK_KEY_DIR", key: "key_dir" },
  ],
};

export type ConfigResult =
  | { ok: true; config: KernelConfig; warnings: string[]; provenance: Provenance }
  | { ok: false; errors: string[]; issues: ConfigIssue[] };

/** The kernel's layered config: `.ostk/config.toml` → `OSTK_PIN`, `OSTK_KEY_DIR` → flags. */
export function loadKernelLayers(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
  flags: Partial<KernelConfig> = {},
): LayeredConfig<KernelConfig> {
  return loadLayeredConfig(
    {
      ...KERNEL_CONFIG_SPEC,
      finalize(config, ctx) {
        const ws = path.resolve(workspace);
        if (config.key_dir && path.resolve(config.key_dir).startsWith(ws + path.sep))
          ctx.fail("key_dir", "must be outside the workspace (an agent could read the key)", config.key_dir);
      },
    },
    { files: [path.join(workspace, ".ostk", "config.toml")], env, flags },
  );
}

/** Every problem as one `key: message (source)` line, or the config. */
export function loadConfig(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
  flags: Partial<KernelConfig> = {},
): ConfigResult {
  const r = loadKernelLayers(workspace, env, flags);
  if (!r.ok) return { ok: false, errors: r.issues.map(formatConfigIssue), issues: r.issues };
  return { ok: true, config: r.config, warnings: r.warnings, provenance: r.provenance };
}
