import { ConfigError, type ConfigIssue, type ConfigSource, displayValue } from "./config-error.js";
import {
  type ConfigField,
  type ConfigFields,
  checkEnvText,
  checkField,
  type FieldCheck,
  isPlainObject,
} from "./config-schema.js";
import { didYouMean } from "./did-you-mean.js";
import { readConfigDocument } from "./read-config-document.js";

/** An environment variable that sets one setting (`key` is the property path, e.g. `responseCache.redisUrl`). */
export interface EnvBinding {
  name: string;
  key: string;
  /** Computes the value from the variable's text (default: parsed by the field's type). */
  value?: (text: string) => unknown;
}

/** How a layer's configuration is laid out, validated and defaulted. */
export interface ConfigSpec<T> {
  /** "kernel", "cache", "recall": named in error messages. */
  layer: string;
  fields: ConfigFields;
  defaults: T;
  /** The table of a config file holding this layer's settings (`[cache]`); none = the top level. */
  section?: string;
  /** Top-level tables that belong to other layers (with no `section`): not unknown keys. */
  siblings?: readonly string[];
  env?: readonly EnvBinding[];
  /** After merging: derive settings from others and check settings that depend on each other. */
  finalize?: (config: T, ctx: FinalizeContext) => void;
}

export interface FinalizeContext {
  sourceOf(path: string): ConfigSource;
  set(path: string, value: unknown, source: ConfigSource): void;
  fail(path: string, message: string, value?: unknown): void;
}

export interface LoadLayeredConfigOptions {
  /** Config files, lowest precedence first. A plain path may be missing; `{ required: true }` may not. */
  files?: readonly (string | { path: string; required?: boolean })[];
  env?: Record<string, string | undefined>;
  /** Highest precedence: values in the program's shape (undefined = not given). */
  flags?: object;
  /** Property path → the CLI flag that set it (`{ port: "--port" }`); without a name a value is an "option". */
  flagNames?: Record<string, string>;
}

export type Provenance = Record<string, ConfigSource>;

export type LayeredConfig<T> =
  | { ok: true; config: T; provenance: Provenance; warnings: string[] }
  | { ok: false; issues: ConfigIssue[]; error: ConfigError };

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The key as a user writes it in the workspace config file: `cache.response_cache.ttl_ms`. */
export function fileKey(spec: Pick<ConfigSpec<unknown>, "section">, path: string): string {
  const key = path.split(".").map(snake).join(".");
  return spec.section ? `${spec.section}.${key}` : key;
}

function fieldAt(fields: ConfigFields, path: string): ConfigField | undefined {
  let cur: ConfigField | undefined;
  let table: ConfigFields | undefined = fields;
  for (const part of path.split(".")) {
    cur = table && Object.hasOwn(table, part) ? table[part] : undefined;
    table = cur?.type === "section" ? cur.fields : undefined;
  }
  return cur;
}

function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

function leafPaths(fields: ConfigFields, prefix = ""): string[] {
  return Object.entries(fields).flatMap(([name, f]) =>
    f.type === "section" ? leafPaths(f.fields, `${prefix}${name}.`) : [`${prefix}${name}`],
  );
}

/**
 * Loads one layer's configuration: defaults → config files → environment → flags. Every value is
 * validated where it enters, so each problem names the key, the value (redacted when secret), what
 * was expected and where it came from; unknown keys are errors with a "did you mean". Returns the
 * config with the source of every setting, or every problem at once.
 */
export function loadLayeredConfig<T>(
  spec: ConfigSpec<T>,
  opts: LoadLayeredConfigOptions = {},
): LayeredConfig<T> {
  const config = structuredClone(spec.defaults) as Record<string, unknown>;
  const provenance: Provenance = {};
  for (const p of leafPaths(spec.fields)) provenance[p] = { kind: "default" };
  const issues: ConfigIssue[] = [];

  const accept = (
    path: string,
    field: ConfigField,
    check: FieldCheck,
    raw: unknown,
    source: ConfigSource,
  ) => {
    if (!check.ok) {
      const value = displayValue(path, raw, field.secret);
      issues.push({ key: fileKey(spec, path), source, message: `must be ${check.expected}`, value });
      return;
    }
    setAt(config, path, check.value);
    provenance[path] = source;
  };

  const applyTable = (
    fields: ConfigFields,
    raw: Record<string, unknown>,
    prefix: string,
    sourceFor: (path: string) => ConfigSource,
  ) => {
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      const name = Object.hasOwn(fields, key) ? key : Object.hasOwn(fields, camel(key)) ? camel(key) : null;
      const path = `${prefix}${name ?? key}`;
      if (!name) {
        if (!prefix && !spec.section && spec.siblings?.includes(key)) continue;
        const known = Object.keys(fields).map(snake);
        if (!prefix && !spec.section && spec.siblings) known.push(...spec.siblings);
        const suggestion = didYouMean(snake(key), known);
        issues.push({
          key: fileKey(spec, path),
          source: sourceFor(path),
          message: "unknown setting",
          suggestion,
        });
        continue;
      }
      const field = fields[name];
      const check = checkField(field, value);
      if (field.type === "section" && check.ok)
        applyTable(field.fields, value as Record<string, unknown>, `${path}.`, sourceFor);
      else accept(path, field, check, value, sourceFor(path));
    }
  };

  for (const entry of opts.files ?? []) {
    const { path: file, required = false } = typeof entry === "string" ? { path: entry } : entry;
    const read = readConfigDocument(file, required);
    if (!read.ok) {
      issues.push(read.issue);
      continue;
    }
    if (!read.doc) continue;
    const source: ConfigSource = { kind: "file", file };
    const table = spec.section ? read.doc[spec.section] : read.doc;
    if (table === undefined) continue;
    if (!isPlainObject(table)) {
      issues.push({
        key: spec.section ?? "",
        source,
        message: "must be a table",
        value: displayValue("", table),
      });
      continue;
    }
    applyTable(spec.fields, table, "", () => source);
  }

  for (const binding of spec.env ?? []) {
    const text = opts.env?.[binding.name];
    if (text === undefined || text === "") continue;
    const field = fieldAt(spec.fields, binding.key);
    if (!field)
      throw new Error(`config spec ${spec.layer}: env ${binding.name} names unknown key ${binding.key}`);
    const check = binding.value ? checkField(field, binding.value(text)) : checkEnvText(field, text);
    accept(binding.key, field, check, text, { kind: "env", name: binding.name });
  }

  if (opts.flags) {
    applyTable(spec.fields, opts.flags as Record<string, unknown>, "", (path) => {
      const name = opts.flagNames?.[path];
      return name ? { kind: "flag", name } : { kind: "option", name: path };
    });
  }

  if (spec.finalize && issues.length === 0) {
    spec.finalize(config as T, {
      sourceOf: (path) => provenance[path] ?? { kind: "default" },
      set(path, value, source) {
        setAt(config, path, value);
        provenance[path] = source;
      },
      fail(path, message, value) {
        const shown =
          value === undefined ? undefined : displayValue(path, value, fieldAt(spec.fields, path)?.secret);
        issues.push({
          key: fileKey(spec, path),
          source: provenance[path] ?? { kind: "default" },
          message,
          value: shown,
        });
      },
    });
  }

  if (issues.length) return { ok: false, issues, error: new ConfigError(spec.layer, issues) };
  return { ok: true, config: config as T, provenance, warnings: [] };
}

/** Like `loadLayeredConfig`, but throws the `ConfigError` (every problem in its message). */
export function loadLayeredConfigOrThrow<T>(
  spec: ConfigSpec<T>,
  opts: LoadLayeredConfigOptions = {},
): { config: T; provenance: Provenance; warnings: string[] } {
  const r = loadLayeredConfig(spec, opts);
  if (!r.ok) throw r.error;
  return r;
}
