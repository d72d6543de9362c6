import { parse as parseToml } from "smol-toml";
import { redactString } from "../redact/redact.js";
import { nodeModule } from "../util/node.js";
import type { ConfigIssue } from "./config-error.js";
import { isPlainObject } from "./config-schema.js";

export type ConfigDocument =
  | { ok: true; doc: Record<string, unknown> | null }
  | { ok: false; issue: ConfigIssue };

/**
 * Reads a config file: TOML (`.toml`, the default) or JSON (`.json`). A missing file is `doc: null`
 * unless it is required. Syntax errors name the line and column but never echo the file's text
 * (it may hold a secret).
 */
export function readConfigDocument(file: string, required = false): ConfigDocument {
  const fs = nodeModule("node:fs");
  const fail = (message: string): ConfigDocument => ({
    ok: false,
    issue: { key: "", source: { kind: "file", file }, message },
  });
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return { ok: true, doc: null };
    return fail(code === "ENOENT" ? "file not found" : `cannot be read (${code ?? String(err)})`);
  }
  let doc: unknown;
  if (file.endsWith(".json")) {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return fail(`not valid JSON (${redactString((err as Error).message)})`);
    }
  } else {
    try {
      doc = parseToml(text);
    } catch (err) {
      const e = err as Error & { line?: number; column?: number };
      const what = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      const at = e.line !== undefined ? `line ${e.line}, column ${e.column}: ` : "";
      return fail(`not valid TOML (${at}${redactString(what)})`);
    }
  }
  if (!isPlainObject(doc)) return fail("must hold a table of settings");
  return { ok: true, doc };
}
