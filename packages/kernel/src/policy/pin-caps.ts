import { OstkRpcError } from "@ostk/lib";

/** Deny/allow tokens a pin may name, and the workspace paths each one covers. */
export const PIN_TOKENS = {
  "write-kernel": [".ostk", ".ostk/**"],
  "modify-governance": [
    ".ostk/pins/**",
    ".ostk/config.toml",
    ".ostk/agents/**",
    "Agentfile",
    "**/*.af",
    ".git/hooks/**",
    ".git/config",
  ],
  "write-src": ["src/**", "**/src/**"],
} as const satisfies Record<string, readonly string[]>;
export type PinToken = keyof typeof PIN_TOKENS;

/** Verbs a call can have (file syscalls and `exec` for shell commands). */
export const VERBS = [
  "read",
  "list",
  "glob",
  "grep",
  "stat",
  "write",
  "edit",
  "delete",
  "move",
  "mkdir",
  "exec",
] as const;
export type Verb = (typeof VERBS)[number];
/** Verbs that change the workspace. */
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(["write", "edit", "delete", "move", "mkdir"]);

export interface Pin {
  name: string;
  /** Globs (workspace-relative) the pin grants reading. */
  read: string[];
  /** Globs the pin grants writing. */
  write: string[];
  /** `shell` grants running commands; other entries name allowed programs. */
  execute: string[];
  deny: PinToken[];
  allow: PinToken[];
  denyPaths: string[];
  denyVerbs: Verb[];
  /** Where it came from, for messages (`.ostk/pins/default/pin.caps` or `built-in`). */
  source: string;
}

const KEYS = ["read", "write", "execute", "deny", "allow", "deny-path", "deny-verb"] as const;

export class PinParseError extends OstkRpcError {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(
      "PolicyDenied",
      `pin ${source} line ${line}: ${reason}. The pin is fail-closed: every call is denied until it parses.`,
      { source, line, reason },
    );
  }
}

/** Parse a `pin.caps` file. Anything unknown or malformed throws PinParseError (fail-closed). */
export function parsePinCaps(text: string, opts: { name: string; source?: string }): Pin {
  const source = opts.source ?? `pins/${opts.name}/pin.caps`;
  const pin: Pin = {
    name: opts.name,
    read: [],
    write: [],
    execute: [],
    deny: [],
    allow: [],
    denyPaths: [],
    denyVerbs: [],
    source,
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/(^|\s)#.*$/, "").trim();
    if (!raw) continue;
    const fail = (reason: string): never => {
      throw new PinParseError(source, i + 1, reason);
    };
    const colon = raw.indexOf(":");
    if (colon <= 0) fail(`expected "key: values", got ${JSON.stringify(raw)}`);
    const key = raw.slice(0, colon).trim().toLowerCase();
    const values = raw
      .slice(colon + 1)
      .split(/[\s,]+/)
      .filter(Boolean);
    if (!(KEYS as readonly string[]).includes(key)) fail(`unknown key "${key}" (known: ${KEYS.join(", ")})`);
    for (const v of values) {
      if (v.includes("\0")) fail("NUL byte in value");
      if (
        (key === "read" || key === "write" || key === "deny-path") &&
        (v.startsWith("/") || v.split("/").includes(".."))
      ) {
        fail(`path pattern "${v}" must be workspace-relative without ".."`);
      }
    }
    switch (key as (typeof KEYS)[number]) {
      case "read":
        pin.read.push(...values);
        break;
      case "write":
        pin.write.push(...values);
        break;
      case "execute":
        pin.execute.push(...values);
        break;
      case "deny-path":
        pin.denyPaths.push(...values);
        break;
      case "deny":
      case "allow":
        for (const v of values) {
          if (!(v in PIN_TOKENS))
            fail(`unknown ${key} token "${v}" (known: ${Object.keys(PIN_TOKENS).join(", ")})`);
          pin[key as "deny" | "allow"].push(v as PinToken);
        }
        break;
      case "deny-verb":
        for (const v of values) {
          const verb = v === "bash" || v === "shell" ? "exec" : v;
          if (!(VERBS as readonly string[]).includes(verb))
            fail(`unknown verb "${v}" (known: ${VERBS.join(", ")})`);
          pin.denyVerbs.push(verb as Verb);
        }
        break;
    }
  }
  return pin;
}

/** The pin used when the workspace has none: read and write the workspace, run commands, never touch `.ostk/`. */
export const DEFAULT_PIN_TEXT = `# ostk default pin
read: **
write: **
execute: shell
deny: write-kernel modify-governance
`;

export function defaultPin(): Pin {
  return parsePinCaps(DEFAULT_PIN_TEXT, { name: "default", source: "built-in default pin" });
}
