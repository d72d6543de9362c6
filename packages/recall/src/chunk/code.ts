import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Language, type Node, Parser } from "web-tree-sitter";
import { GRAMMARS } from "./languages.js";
import type { RawChunk } from "./types.js";
import { windowChunks } from "./window.js";

/** Largest symbol kept whole; bigger containers are split into their members, bigger functions into windows. */
const MAX_SYMBOL_LINES = 150;

/** Node types that define a symbol, per family of grammars, with the kind recorded on the chunk. */
const SYMBOL_TYPES: Record<string, string> = {
  function_declaration: "function",
  generator_function_declaration: "function",
  function_definition: "function",
  function_item: "function",
  method_definition: "method",
  method_declaration: "method",
  constructor_declaration: "method",
  function_signature: "function",
  class_declaration: "class",
  abstract_class_declaration: "class",
  class_definition: "class",
  class_specifier: "class",
  struct_specifier: "type",
  struct_item: "type",
  enum_item: "type",
  enum_declaration: "type",
  trait_item: "type",
  impl_item: "impl",
  interface_declaration: "type",
  type_alias_declaration: "type",
  type_declaration: "type",
  namespace_definition: "namespace",
  internal_module: "namespace",
  mod_item: "namespace",
  record_declaration: "class",
  method: "method",
  class: "class",
  module: "namespace",
};

/** Variable declarations whose value is a function become function chunks. */
const DECL_TYPES = new Set(["lexical_declaration", "variable_declaration"]);
const FUNC_VALUES = new Set([
  "arrow_function",
  "function_expression",
  "function",
  "class",
  "generator_function",
]);
const CONTAINERS = new Set(["class", "impl", "namespace", "type"]);
const COMMENT_TYPES = new Set(["comment", "line_comment", "block_comment"]);

let initPromise: Promise<void> | null = null;
const languages = new Map<string, Promise<Language | null>>();
const require = createRequire(import.meta.url);

function grammarPath(stem: string): string {
  const dir = dirname(require.resolve("tree-sitter-wasms/package.json"));
  return join(dir, "out", `tree-sitter-${stem}.wasm`);
}

async function loadLanguage(lang: string): Promise<Language | null> {
  const stem = GRAMMARS[lang];
  if (!stem) return null;
  let p = languages.get(lang);
  if (!p) {
    initPromise ??= Parser.init();
    p = initPromise.then(() => Language.load(grammarPath(stem))).catch(() => null);
    languages.set(lang, p);
  }
  return p;
}

export function hasGrammar(lang: string): boolean {
  return lang in GRAMMARS;
}

const parsers = new Map<string, Parser>();

/** Symbol chunks via tree-sitter, with line windows for the code between symbols; null when no grammar loads. */
export async function codeChunks(text: string, lang: string): Promise<RawChunk[] | null> {
  const language = await loadLanguage(lang);
  if (!language) return null;
  let parser = parsers.get(lang);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
    parsers.set(lang, parser);
  }
  const tree = parser.parse(text);
  if (!tree) return null;
  try {
    const lines = text.split("\n");
    const out: RawChunk[] = [];
    collect(tree.rootNode, lines, "", out);
    out.push(...gaps(lines, out));
    out.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
    return out;
  } finally {
    tree.delete();
  }
}

function symbolName(node: Node): string | null {
  const name = node.childForFieldName("name");
  if (name) return name.text;
  // C/C++: function_definition → declarator (function_declarator) → declarator (identifier)
  let d = node.childForFieldName("declarator");
  for (let i = 0; d && i < 4; i++) {
    if (/identifier$/.test(d.type) || d.type === "operator_name") return d.text;
    const inner = d.childForFieldName("declarator") ?? d.childForFieldName("name");
    if (!inner) {
      const id = d.namedChildren.find((c) => c && /identifier$/.test(c.type));
      return id ? id.text : null;
    }
    d = inner;
  }
  // Go: type_declaration → type_spec(name)
  for (const c of node.namedChildren) {
    const n = c?.childForFieldName("name");
    if (c && n && /spec$/.test(c.type)) return n.text;
  }
  // Rust impl blocks: impl Trait for Type
  const ty = node.childForFieldName("type");
  if (ty) return ty.text;
  return null;
}

/** For `const foo = () => …` return [name, valueNode]. */
function declaredFunction(node: Node): [string, Node] | null {
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type !== "variable_declarator") continue;
    const value = c.childForFieldName("value");
    const name = c.childForFieldName("name");
    if (value && name && FUNC_VALUES.has(value.type)) return [name.text, value];
  }
  return null;
}

/** Start row including directly preceding comments (doc comments belong to their symbol). */
function startWithComments(node: Node): number {
  let start = node.startPosition.row;
  let prev = node.previousNamedSibling;
  while (prev && COMMENT_TYPES.has(prev.type) && prev.endPosition.row >= start - 1) {
    start = prev.startPosition.row;
    prev = prev.previousNamedSibling;
  }
  return start;
}

function collect(node: Node, lines: string[], prefix: string, out: RawChunk[]): void {
  for (const child of node.namedChildren) {
    if (!child) continue;
    let target = child;
    // unwrap export/decorator wrappers
    if (
      child.type === "export_statement" ||
      child.type === "decorated_definition" ||
      child.type === "template_declaration"
    ) {
      const inner =
        child.childForFieldName("declaration") ??
        child.childForFieldName("definition") ??
        child.namedChildren.find((c) => c && (SYMBOL_TYPES[c.type] || DECL_TYPES.has(c.type)));
      if (inner) target = inner;
    }
    let kind = SYMBOL_TYPES[target.type];
    let name: string | null = null;
    if (kind) name = symbolName(target);
    else if (DECL_TYPES.has(target.type)) {
      const f = declaredFunction(target);
      if (f) {
        name = f[0];
        kind = f[1].type === "class" ? "class" : "function";
      }
    }
    if (!kind) {
      // descend into blocks that may hold symbols (namespaces without a known type, declaration lists)
      if (child.namedChildCount > 0 && /(body|block|declaration_list|program|module)$/.test(child.type))
        collect(child, lines, prefix, out);
      continue;
    }
    const symbol = name ? (prefix ? `${prefix}.${name}` : name) : prefix || null;
    const startRow = startWithComments(child);
    const endRow = child.endPosition.row;
    const span = endRow - startRow + 1;
    if (span <= MAX_SYMBOL_LINES) {
      out.push({
        startLine: startRow + 1,
        endLine: endRow + 1,
        symbol,
        kind,
        text: lines.slice(startRow, endRow + 1).join("\n"),
      });
    } else if (CONTAINERS.has(kind)) {
      const before = out.length;
      const body = target.childForFieldName("body") ?? target;
      collect(body, lines, symbol ?? prefix, out);
      if (out.length === before) out.push(...windowChunks(lines, startRow, endRow, symbol, kind));
      else {
        // the container's header (signature, fields before the first member) as its own chunk
        const firstMember = Math.min(...out.slice(before).map((c) => c.startLine - 1));
        if (firstMember > startRow) out.push(...windowChunks(lines, startRow, firstMember - 1, symbol, kind));
      }
    } else {
      out.push(...windowChunks(lines, startRow, endRow, symbol, kind));
    }
  }
}

/** Line windows over the stretches of a file that no symbol chunk covers. */
function gaps(lines: string[], chunks: RawChunk[]): RawChunk[] {
  const covered = new Uint8Array(lines.length);
  for (const c of chunks) covered.fill(1, c.startLine - 1, c.endLine);
  const out: RawChunk[] = [];
  let i = 0;
  while (i < lines.length) {
    if (covered[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length && !covered[j + 1]) j++;
    const nonBlank = lines.slice(i, j + 1).filter((l) => l.trim()).length;
    if (nonBlank >= 2) out.push(...windowChunks(lines, i, j, null, "module"));
    i = j + 1;
  }
  return out;
}
