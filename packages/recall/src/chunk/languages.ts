/** File extension → language name. Languages with a tree-sitter grammar are listed in GRAMMARS. */
const EXT: Record<string, string> = {
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "tsx",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  py: "python",
  pyi: "python",
  go: "go",
  rs: "rust",
  java: "java",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  hh: "cpp",
  hxx: "cpp",
  cs: "c_sharp",
  rb: "ruby",
  php: "php",
  kt: "kotlin",
  swift: "swift",
  scala: "scala",
  lua: "lua",
  sh: "bash",
  bash: "bash",
  zsh: "bash",
  md: "markdown",
  mdx: "markdown",
  markdown: "markdown",
  json: "json",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  html: "html",
  css: "css",
  sql: "sql",
  txt: "text",
};

/** Languages chunked at symbols with tree-sitter; value = grammar file stem in tree-sitter-wasms. */
export const GRAMMARS: Record<string, string> = {
  typescript: "typescript",
  tsx: "tsx",
  javascript: "javascript",
  python: "python",
  go: "go",
  rust: "rust",
  java: "java",
  c: "c",
  cpp: "cpp",
  c_sharp: "c_sharp",
  ruby: "ruby",
  php: "php",
};

export function languageOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return base === "Makefile" || base === "Dockerfile" ? base.toLowerCase() : "text";
  return EXT[base.slice(dot + 1).toLowerCase()] ?? "text";
}
