import { OstkError } from "../errors.js";
import { isSecretKey, REDACTED } from "../redact/patterns.js";
import { redactString } from "../redact/redact.js";

/** Where a setting's value came from. */
export type ConfigSource =
  | { kind: "default" }
  | { kind: "file"; file: string }
  | { kind: "env"; name: string }
  | { kind: "flag"; name: string }
  /** A value a program passed (an option of a library call), not typed by a user. */
  | { kind: "option"; name: string }
  | { kind: "derived"; from: string };

/** One problem with the configuration, with everything a user needs to fix it. */
export interface ConfigIssue {
  /** The setting as written in the workspace config file, e.g. `cache.response_cache.ttl_ms` ("" for a whole file). */
  key: string;
  /** Where the bad value (or unknown key) came from. */
  source: ConfigSource;
  /** What went wrong, e.g. `unknown setting` or `must be an integer from 0 to 65535`. */
  message: string;
  /** The value as given, already redacted for secret-looking keys (absent for unknown keys). */
  value?: string;
  /** For unknown keys: the closest known key. */
  suggestion?: string;
}

export function formatSource(source: ConfigSource): string {
  switch (source.kind) {
    case "default":
      return "default";
    case "file":
      return source.file;
    case "env":
      return `env ${source.name}`;
    case "flag":
      return `flag ${source.name}`;
    case "option":
      return `option ${source.name}`;
    case "derived":
      return `from ${source.from}`;
  }
}

/** `cache.port: must be an integer from 0 to 65535, got 70000 (in /ws/.ostk/config.toml)` */
export function formatConfigIssue(issue: ConfigIssue): string {
  const got = issue.value !== undefined ? `, got ${issue.value}` : "";
  const hint = issue.suggestion ? ` (did you mean ${issue.suggestion}?)` : "";
  if (!issue.key) return `${formatSource(issue.source)}: ${issue.message}`;
  const where = issue.source.kind === "file" ? `in ${issue.source.file}` : formatSource(issue.source);
  return `${issue.key}: ${issue.message}${got}${hint} (${where})`;
}

/**
 * A value as it may be shown to a user: secrets by key name (or marked secret) become
 * `[REDACTED]`; anything else is JSON, shortened, with secret-looking substrings masked.
 */
export function displayValue(key: string, value: unknown, secret = false): string {
  if (secret || isSecretKey(key.split(".").pop() ?? key)) return REDACTED;
  let text: string;
  if (typeof value === "number") return String(value); // NaN and Infinity are not JSON
  try {
    text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return redactString(text);
}

/** Thrown (or returned) when configuration is invalid. `issues` has every problem, not just the first. */
export class ConfigError extends OstkError {
  constructor(
    /** The layer whose configuration this is: "kernel", "cache", "recall". */
    readonly layer: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      "ConfigInvalid",
      `invalid ${layer} configuration:\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join("\n")}\n` +
        "Nothing was started or written. Fix or remove the settings above (unset settings use the defaults) and retry.",
    );
  }

  /** One `key: message` line per problem. */
  get lines(): string[] {
    return this.issues.map(formatConfigIssue);
  }
}
