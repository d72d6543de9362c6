/**
 * A small typed schema for configuration values: enough to validate every setting of the
 * ostk layers and to say, in words, what was expected. Keys are the TypeScript property
 * names; in files they are written in snake_case (camelCase is accepted too).
 */
interface FieldBase {
  /** One line for `explain` output and docs. */
  doc?: string;
  /** Never echo the value (also implied by a secret-looking key name such as `api_key`). */
  secret?: boolean;
}

export interface StringField extends FieldBase {
  type: "string";
  enum?: readonly string[];
  /** The value must match; `patternHint` says what that means to a user. */
  pattern?: RegExp;
  patternHint?: string;
  /** The value must be a URL with one of these protocols, e.g. `["http:", "https:"]`. */
  url?: readonly string[];
  /** Turn the validated value into what the program uses (e.g. expand `~`). */
  transform?: (value: string) => unknown;
}

export interface NumberField extends FieldBase {
  type: "integer" | "number";
  min?: number;
  max?: number;
}

export interface BooleanField extends FieldBase {
  type: "boolean";
}

export interface StringListField extends FieldBase {
  type: "string[]";
  /** Each item must be one of these. */
  items?: readonly string[];
  nonEmpty?: boolean;
}

/** A table of `name = integer` (e.g. a regex → token count); the program gets `[name, n][]` in order. */
export interface IntTableField extends FieldBase {
  type: "int-table";
  min?: number;
}

/** A nested table (`[cache.response_cache]`). */
export interface SectionField extends FieldBase {
  type: "section";
  fields: ConfigFields;
}

export type ConfigField =
  | StringField
  | NumberField
  | BooleanField
  | StringListField
  | IntTableField
  | SectionField;
export type ConfigFields = Record<string, ConfigField>;

export type FieldCheck = { ok: true; value: unknown } | { ok: false; expected: string };

/** What a field accepts, in words: "an integer from 0 to 65535", "one of a, b". */
export function expectedOf(field: ConfigField): string {
  switch (field.type) {
    case "string":
      if (field.enum) return `one of ${field.enum.map((e) => JSON.stringify(e)).join(", ")}`;
      if (field.url) {
        const names = field.url.map((p) => p.replace(/:$/, ""));
        return names.join() === "http,https" ? "an http(s) URL" : `a ${names.join(" or ")} URL`;
      }
      return field.patternHint ?? "a string";
    case "integer":
    case "number": {
      const noun = field.type === "integer" ? "an integer" : "a number";
      if (field.min !== undefined && field.max !== undefined)
        return `${noun} from ${field.min} to ${field.max}`;
      if (field.min === 1 && field.type === "integer") return "a positive integer";
      if (field.min !== undefined) return `${noun} >= ${field.min}`;
      if (field.max !== undefined) return `${noun} <= ${field.max}`;
      return noun;
    }
    case "boolean":
      return "true or false";
    case "string[]":
      return `a ${field.nonEmpty ? "non-empty " : ""}list of ${field.items ? field.items.join(", ") : "strings"}`;
    case "int-table":
      return `a table of "name" = integer${field.min !== undefined ? ` (>= ${field.min})` : ""}`;
    case "section":
      return "a table";
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkNumber(field: NumberField, value: unknown): FieldCheck {
  const n = typeof value === "bigint" ? Number(value) : value;
  const bad = { ok: false, expected: expectedOf(field) } as const;
  if (typeof n !== "number" || !Number.isFinite(n)) return bad;
  if (field.type === "integer" && !Number.isSafeInteger(n)) return bad;
  if (field.min !== undefined && n < field.min) return bad;
  if (field.max !== undefined && n > field.max) return bad;
  return { ok: true, value: n };
}

function checkString(field: StringField, value: unknown): FieldCheck {
  const bad = { ok: false, expected: expectedOf(field) } as const;
  if (typeof value !== "string") return bad;
  if (field.enum && !field.enum.includes(value)) return bad;
  if (field.pattern && !field.pattern.test(value)) return bad;
  if (field.url) {
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      return bad;
    }
    if (!field.url.includes(protocol)) return bad;
  }
  return { ok: true, value: field.transform ? field.transform(value) : value };
}

function checkIntTable(field: IntTableField, value: unknown): FieldCheck {
  const bad = { ok: false, expected: expectedOf(field) } as const;
  // Programs pass the resolved form ([name, n][]); files write a table.
  const entries = Array.isArray(value) ? value : isPlainObject(value) ? Object.entries(value) : null;
  if (!entries) return bad;
  const out: [string, number][] = [];
  for (const e of entries) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string") return bad;
    const n = typeof e[1] === "bigint" ? Number(e[1]) : e[1];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || (field.min !== undefined && n < field.min))
      return bad;
    out.push([e[0], n]);
  }
  return { ok: true, value: out };
}

function checkStringList(field: StringListField, value: unknown): FieldCheck {
  const ok =
    Array.isArray(value) &&
    value.every((v) => typeof v === "string" && (!field.items || field.items.includes(v))) &&
    (!field.nonEmpty || value.length > 0);
  return ok ? { ok: true, value: [...(value as string[])] } : { ok: false, expected: expectedOf(field) };
}

/** Validates a value from a file or a program (typed values; TOML integers may be bigint). */
export function checkField(field: ConfigField, value: unknown): FieldCheck {
  switch (field.type) {
    case "string":
      return checkString(field, value);
    case "integer":
    case "number":
      return checkNumber(field, value);
    case "boolean":
      return typeof value === "boolean" ? { ok: true, value } : { ok: false, expected: expectedOf(field) };
    case "string[]":
      return checkStringList(field, value);
    case "int-table":
      return checkIntTable(field, value);
    case "section":
      return isPlainObject(value) ? { ok: true, value } : { ok: false, expected: expectedOf(field) };
  }
}

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off"];

/** Validates an environment variable's text for a field (numbers, booleans, comma-separated lists). */
export function checkEnvText(field: ConfigField, text: string): FieldCheck {
  switch (field.type) {
    case "integer":
    case "number": {
      const t = text.trim();
      const ok = field.type === "integer" ? /^[+-]?\d+$/.test(t) : t !== "" && Number.isFinite(Number(t));
      return ok ? checkNumber(field, Number(t)) : { ok: false, expected: expectedOf(field) };
    }
    case "boolean": {
      const t = text.trim().toLowerCase();
      if (TRUE.includes(t)) return { ok: true, value: true };
      if (FALSE.includes(t)) return { ok: true, value: false };
      return { ok: false, expected: "1, 0, true, false, yes, no, on or off" };
    }
    case "string[]":
      return checkStringList(
        field,
        text
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
    default:
      return checkField(field, text);
  }
}

export { isPlainObject };
