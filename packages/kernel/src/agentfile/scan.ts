import type { Diagnostic } from "./types.js";

/** One directive as written: keyword plus its raw (unsubstituted) value and where the value starts. */
export interface RawDirective {
  keyword: string;
  value: string;
  line: number;
  /** 1-based column of the keyword. */
  column: number;
  /** 1-based line/column where the value text starts (the first line of a block for multi-line values). */
  valueLine: number;
  valueColumn: number;
  /** True when the value came from a `"""` block or a heredoc (its lines keep their own columns). */
  multiline: boolean;
  /** True when the value was a quoted string (its text is already unescaped). */
  quoted: boolean;
}

const KEYWORD = /^([A-Za-z][A-Za-z_-]*)(?=\s|$)/;

/**
 * Splits an Agentfile into directives. Handles comments (`#` as the first
 * non-blank character), `"…"` strings with JSON escapes, `"""` blocks and
 * `<<TAG` heredocs. Reports positions 1-based.
 */
export function scanAgentfile(source: string): { directives: RawDirective[]; diagnostics: Diagnostic[] } {
  const lines = source.replace(/^\uFEFF/, "").split(/\r?\n/);
  const directives: RawDirective[] = [];
  const diagnostics: Diagnostic[] = [];
  const err = (line: number, column: number, code: string, message: string) =>
    diagnostics.push({ severity: "error", line, column, code, message });

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const indent = text.length - text.trimStart().length;
    const body = text.slice(indent);
    if (body === "" || body.startsWith("#")) continue;
    const line = i + 1;
    const m = KEYWORD.exec(body);
    if (!m) {
      err(
        line,
        indent + 1,
        "expected-directive",
        `expected a directive such as FROM, TASK or TOOL, found "${body.slice(0, 20)}"`,
      );
      continue;
    }
    const keyword = m[1].toUpperCase();
    const afterKw = body.slice(m[1].length);
    const gap = afterKw.length - afterKw.trimStart().length;
    const arg = afterKw.trimStart();
    const valueColumn = indent + m[1].length + gap + 1;
    const base = { keyword, line, column: indent + 1, valueLine: line, valueColumn };

    if (arg.startsWith('"""')) {
      const block = readBlock(lines, i, arg.slice(3), '"""');
      if (block.end < 0) {
        err(line, valueColumn, "unterminated-block", `expected a closing """ for the block opened here`);
        break;
      }
      directives.push({ ...base, value: block.text, multiline: true, quoted: false });
      i = block.end;
      continue;
    }
    const heredoc = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(arg);
    if (heredoc) {
      const end = findHeredocEnd(lines, i + 1, heredoc[2]);
      if (end < 0) {
        err(
          line,
          valueColumn,
          "unterminated-heredoc",
          `expected a line "${heredoc[2]}" closing the heredoc opened here`,
        );
        break;
      }
      const text = dedent(lines.slice(i + 1, end));
      directives.push({
        ...base,
        valueLine: line + 1,
        valueColumn: 1,
        value: text,
        multiline: true,
        quoted: false,
      });
      i = end;
      continue;
    }
    if (arg.startsWith('"')) {
      const q = readQuoted(arg);
      if ("error" in q) {
        err(line, valueColumn + q.at, q.code, q.error);
        continue;
      }
      const rest = arg.slice(q.length).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        err(
          line,
          valueColumn + q.length + (arg.slice(q.length).length - arg.slice(q.length).trimStart().length),
          "trailing-text",
          `expected end of line after the closing quote, found "${rest.slice(0, 20)}"`,
        );
        continue;
      }
      directives.push({ ...base, value: q.text, multiline: false, quoted: true });
      continue;
    }
    directives.push({ ...base, value: arg.trimEnd(), multiline: false, quoted: false });
  }
  return { directives, diagnostics };
}

function readBlock(
  lines: string[],
  start: number,
  firstRest: string,
  fence: string,
): { text: string; end: number } {
  const close = firstRest.indexOf(fence);
  if (close >= 0) return { text: firstRest.slice(0, close), end: start };
  const collected: string[] = firstRest.trim() === "" ? [] : [firstRest];
  for (let j = start + 1; j < lines.length; j++) {
    const k = lines[j].indexOf(fence);
    if (k >= 0) {
      const before = lines[j].slice(0, k);
      if (before.trim() !== "") collected.push(before);
      return { text: dedent(collected), end: j };
    }
    collected.push(lines[j]);
  }
  return { text: "", end: -1 };
}

function findHeredocEnd(lines: string[], from: number, tag: string): number {
  for (let j = from; j < lines.length; j++) if (lines[j].trim() === tag) return j;
  return -1;
}

/** Removes the indentation common to every non-blank line, and blank lines at both ends. */
export function dedent(lines: string[]): string {
  const nonBlank = lines.filter((l) => l.trim() !== "");
  const common =
    nonBlank.length === 0 ? 0 : Math.min(...nonBlank.map((l) => l.length - l.trimStart().length));
  const out = lines.map((l) => l.slice(Math.min(common, l.length - l.trimStart().length)).trimEnd());
  while (out.length && out[0] === "") out.shift();
  while (out.length && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

type Quoted = { text: string; length: number } | { error: string; code: string; at: number };

/** Reads a `"…"` string at the start of `s` with JSON-style escapes. */
function readQuoted(s: string): Quoted {
  let out = "";
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return { text: out, length: i + 1 };
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = s[++i];
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
    if (n !== undefined && n in simple) out += simple[n];
    else if (n === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 5), 16));
      i += 4;
    } else
      return {
        error: `unknown escape "\\${n ?? ""}"; expected one of \\n \\t \\r \\" \\\\ \\uXXXX`,
        code: "bad-escape",
        at: i - 1,
      };
  }
  return { error: `expected a closing " for the string opened here`, code: "unterminated-string", at: 0 };
}
