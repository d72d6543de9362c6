import type { Diagnostic } from "./types.js";

/**
 * `${NAME}` and `${NAME:-default}` substitution. `$${` is a literal `${`.
 * A variable that is unset (or empty, for `:-`) with no default is reported;
 * `strict` makes that an error, otherwise a warning and the empty string.
 */
export function substitute(
  text: string,
  env: Record<string, string | undefined>,
  at: (offset: number) => { line: number; column: number },
  opts: { strict: boolean; used: Record<string, string>; diagnostics: Diagnostic[] },
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const k = text.indexOf("$", i);
    if (k < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, k);
    if (text.startsWith("$${", k)) {
      out += "${";
      i = k + 3;
      continue;
    }
    if (text[k + 1] !== "{") {
      out += "$";
      i = k + 1;
      continue;
    }
    const close = text.indexOf("}", k);
    const pos = at(k);
    if (close < 0) {
      opts.diagnostics.push({
        severity: "error",
        ...pos,
        code: "bad-variable",
        message: 'expected "}" closing the variable opened here',
      });
      out += text.slice(k);
      break;
    }
    const inner = text.slice(k + 2, close);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(inner);
    if (!m) {
      opts.diagnostics.push({
        severity: "error",
        ...pos,
        code: "bad-variable",
        message: `expected \${NAME} or \${NAME:-default}, found "\${${inner}}"`,
      });
      i = close + 1;
      continue;
    }
    const [, name, def] = m;
    const value = env[name];
    let resolved: string;
    if (value !== undefined && value !== "") resolved = value;
    else if (def !== undefined) resolved = def;
    else {
      opts.diagnostics.push({
        severity: opts.strict ? "error" : "warning",
        ...pos,
        code: "unset-variable",
        message: `variable ${name} is not set and has no default; set it or write \${${name}:-default}`,
      });
      resolved = "";
    }
    opts.used[name] = resolved;
    out += resolved;
    i = close + 1;
  }
  return out;
}
