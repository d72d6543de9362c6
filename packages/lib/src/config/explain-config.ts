import { isSecretKey, REDACTED } from "../redact/patterns.js";
import { redact, redactString } from "../redact/redact.js";
import { type ConfigSource, displayValue, formatSource } from "./config-error.js";
import type { ConfigFields } from "./config-schema.js";
import { type ConfigSpec, fileKey, type Provenance } from "./load-layered-config.js";

/** One effective setting: its key as written in the config file, its value (redacted) and who set it. */
export interface ExplainedSetting {
  key: string;
  /** Property path in the program's config object. */
  path: string;
  /** JSON of the value, `[REDACTED]` for secrets, absent when unset. */
  value?: string;
  /** The value itself for `--json` output (secrets `[REDACTED]`, unset `null`). */
  json: unknown;
  source: ConfigSource;
  /** `default`, the file's path, `env NAME`, `flag --name`. */
  from: string;
}

function valueAt(config: unknown, path: string): unknown {
  let cur = config;
  for (const p of path.split(".")) cur = (cur as Record<string, unknown> | undefined)?.[p];
  return cur;
}

function jsonValue(path: string, raw: unknown, secret?: boolean): unknown {
  if (raw === undefined || raw === null) return null;
  if (secret || isSecretKey(path.split(".").pop() ?? path)) return REDACTED;
  return typeof raw === "string" ? redactString(raw) : redact(raw);
}

/** Every setting of a loaded config with the layer that set it (for `config show`, `--print-config`). */
export function explainConfig<T>(
  spec: Pick<ConfigSpec<T>, "fields" | "section">,
  config: T,
  provenance: Provenance,
): ExplainedSetting[] {
  const rows: ExplainedSetting[] = [];
  const walk = (fields: ConfigFields, prefix: string) => {
    for (const [name, field] of Object.entries(fields)) {
      const path = `${prefix}${name}`;
      if (field.type === "section") {
        walk(field.fields, `${path}.`);
        continue;
      }
      const raw = valueAt(config, path);
      const source = provenance[path] ?? { kind: "default" };
      rows.push({
        key: fileKey(spec, path),
        path,
        value: raw === undefined || raw === null ? undefined : displayValue(path, raw, field.secret),
        json: jsonValue(path, raw, field.secret),
        source,
        from: formatSource(source),
      });
    }
  };
  walk(spec.fields, "");
  return rows;
}

/** The rows as an aligned table: `key  value  from`. */
export function formatExplainedConfig(rows: readonly ExplainedSetting[]): string {
  const keyW = Math.max(3, ...rows.map((r) => r.key.length));
  const valW = Math.min(48, Math.max(5, ...rows.map((r) => (r.value ?? "(unset)").length)));
  const line = (k: string, v: string, f: string) => `${k.padEnd(keyW)}  ${v.padEnd(valW)}  ${f}`.trimEnd();
  return [line("key", "value", "from"), ...rows.map((r) => line(r.key, r.value ?? "(unset)", r.from))].join(
    "\n",
  );
}
