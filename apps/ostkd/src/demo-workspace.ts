import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILES: Record<string, string> = {
  "README.md": `# demo workspace

A tiny project for trying ostk. Ask your agent to change \`src/greet.ts\` through the ostk MCP
server, then look at \`ostk audit log\` and search for the change with recall.
`,
  "src/greet.ts": `/** Greets someone by name. */
export function greet(name: string): string {
  return \`Hello, \${name}!\`;
}
`,
  "src/math.ts": `/** Adds two numbers. */
export function add(a: number, b: number): number {
  return a + b;
}
`,
  ".gitignore": ".ostk/\n",
};

/** Creates the demo workspace (only files that do not exist yet). Returns whether anything was written. */
export function ensureDemoWorkspace(dir: string): boolean {
  let wrote = false;
  for (const [rel, text] of Object.entries(FILES)) {
    const p = join(dir, rel);
    if (existsSync(p)) continue;
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, text);
    wrote = true;
  }
  return wrote;
}
