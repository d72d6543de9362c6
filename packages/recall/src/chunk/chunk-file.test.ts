import { describe, expect, it } from "vitest";
import { chunkFile } from "./chunk-file.js";

const samples: Record<string, [string, string[]]> = {
  "a.ts": [
    "import x from 'y';\nimport z from 'w';\n/** Parse a header. */\nexport function parseHTTPHeader(s: string) {\n  return s;\n}\nexport class Foo {\n  bar() { return 1; }\n}\nexport const baz = (a: number) => a * 2;\ninterface Opts { a: number }\n",
    ["parseHTTPHeader", "Foo", "baz", "Opts"],
  ],
  "a.js": [
    "function hello() {}\nconst world = function () {};\nclass K { m() {} }\n",
    ["hello", "world", "K"],
  ],
  "a.py": [
    "import os\n\ndef read_config(path):\n    return path\n\nclass Store:\n    def get(self):\n        pass\n",
    ["read_config", "Store"],
  ],
  "a.go": [
    "package main\n\nfunc ParseArgs() {}\n\ntype Server struct{}\n\nfunc (s *Server) Start() {}\n",
    ["ParseArgs", "Server", "Start"],
  ],
  "a.rs": [
    "fn main() {}\nstruct Point { x: i32 }\nimpl Point { fn norm(&self) -> i32 { 0 } }\n",
    ["main", "Point"],
  ],
  "A.java": ["class A {\n  void run() {}\n  int size() { return 0; }\n}\n", ["A"]],
  "a.c": [
    "#include <stdio.h>\nint add(int a, int b) { return a + b; }\nstruct pt { int x; };\n",
    ["add", "pt"],
  ],
  "a.cpp": ["namespace ns {\nint twice(int a) { return 2 * a; }\n}\nclass Box { int w; };\n", ["ns", "Box"]],
};

describe("chunkFile", () => {
  for (const [path, [text, symbols]] of Object.entries(samples)) {
    it(`finds symbols in ${path}`, async () => {
      const chunks = await chunkFile(path, text);
      const found = chunks.map((c) => c.symbol);
      for (const s of symbols) expect(found).toContain(s);
    });
  }

  it("keeps doc comments with their symbol and ids deterministic", async () => {
    const [text] = samples["a.ts"];
    const a = await chunkFile("a.ts", text);
    const b = await chunkFile("a.ts", text);
    expect(a.map((c) => c.id)).toEqual(b.map((c) => c.id));
    const fn = a.find((c) => c.symbol === "parseHTTPHeader");
    expect(fn?.text).toContain("Parse a header");
    expect(fn?.startLine).toBe(3);
    // an edit in one function leaves the other ids alone
    const c = await chunkFile("a.ts", text.replace("a * 2", "a * 3"));
    expect(c.find((x) => x.symbol === "parseHTTPHeader")?.id).toBe(fn?.id);
    expect(c.find((x) => x.symbol === "baz")?.id).not.toBe(a.find((x) => x.symbol === "baz")?.id);
  });

  it("splits markdown at headings and long text into 200/20 windows", async () => {
    const md = await chunkFile("README.md", "# Title\nintro\n## Install\nnpm i\n## Usage\nrun it\n");
    expect(md.map((c) => c.symbol)).toEqual(["Title", "Title > Install", "Title > Usage"]);
    const long = Array.from({ length: 450 }, (_, i) => `line ${i}`).join("\n");
    const w = await chunkFile("notes.txt", long);
    expect(w.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 200],
      [181, 380],
      [361, 450],
    ]);
  });
});
