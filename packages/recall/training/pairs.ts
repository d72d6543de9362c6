/** (documentation, code) pairs from npm packages: d3-style README sections and JSDoc comments. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readmeQueries } from "../bench/corpus.js";

export interface Pair {
  pkg: string;
  doc: string;
  code: string;
}

/** README "<b>name</b> · [Source](…/src/x.js)" sections → (description, that source file). */
export function readmePairs(name: string, root: string): Pair[] {
  return readmeQueries(name, root).flatMap((q) => {
    const rel = q.paths[0].slice(name.length + 1);
    const file = join(root, rel);
    if (!existsSync(file)) return [];
    return [
      {
        pkg: name,
        doc: q.query,
        code: `${rel}\n${stripComments(readFileSync(file, "utf8")).slice(0, 6000)}`,
      },
    ];
  });
}

export function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:\\])\/\/[^\n]*/g, "$1");
}

function cleanJsdoc(body: string): string {
  const lines = body.split("\n").map((l) => l.replace(/^\s*\*\s?/, ""));
  const out: string[] = [];
  let skip = false;
  for (const l of lines) {
    if (
      /^@(example|see|since|category|memberOf|static|alias|private|internal|deprecated|license|module|type|returns?\s*\{|throws)/.test(
        l,
      )
    ) {
      skip = /^@example/.test(l);
      if (/^@returns?/.test(l)) out.push(l.replace(/^@returns?\s*(\{[^}]*\})?/, ""));
      continue;
    }
    if (l.startsWith("@")) {
      skip = false;
      out.push(l.replace(/^@\w+\s*(\{[^}]*\})?\s*(\[?[\w.$]+\]?)?/, ""));
      continue;
    }
    if (!skip) out.push(l);
  }
  return out
    .join(" ")
    .replace(/\{@link\s+([^}]+)\}/g, "$1")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** JSDoc comment → the code that follows it (up to the next JSDoc comment, ≤ 60 lines, comments stripped). */
export function jsdocPairs(pkg: string, root: string, dirs: string[], maxFiles = 4000): Pair[] {
  const out: Pair[] = [];
  const files: string[] = [];
  const walk = (rel: string) => {
    if (files.length >= maxFiles) return;
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isFile()) {
      if (/\.(m?js|ts)$/.test(rel) && !/\.d\.ts$|\.min\.js$/.test(rel) && st.size < 400_000) files.push(rel);
      return;
    }
    for (const e of readdirSync(abs))
      if (e !== "node_modules" && !e.startsWith(".") && !/^(test|tests|__tests__|docs?)$/.test(e))
        walk(rel === "." ? e : `${rel}/${e}`);
  };
  for (const d of dirs) walk(d);
  const seenDocs = new Set<string>();
  for (const rel of files) {
    const text = readFileSync(join(root, rel), "utf8");
    const re = /\/\*\*([\s\S]*?)\*\//g;
    const marks: { start: number; end: number; body: string }[] = [];
    for (let m = re.exec(text); m; m = re.exec(text))
      marks.push({ start: m.index, end: m.index + m[0].length, body: m[1] });
    for (let i = 0; i < marks.length; i++) {
      const doc = cleanJsdoc(marks[i].body);
      if (doc.split(" ").length < 5 || seenDocs.has(doc)) continue;
      const until = i + 1 < marks.length ? marks[i + 1].start : text.length;
      const code = stripComments(text.slice(marks[i].end, until)).split("\n").slice(0, 60).join("\n");
      if (code.trim().split("\n").length < 2) continue;
      seenDocs.add(doc);
      out.push({ pkg, doc: doc.split(" ").slice(0, 60).join(" "), code: `${rel}\n${code}` });
    }
  }
  return out;
}
