import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface Args {
  command: string;
  positional: string[];
  flags: Record<string, string | boolean>;
}

const BOOLEAN = new Set(["json", "stdio", "help", "bm25-only", "no-watch"]);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2);
      if (v !== undefined) flags[k] = v;
      else if (BOOLEAN.has(k) || i + 1 >= argv.length || argv[i + 1].startsWith("--")) flags[k] = true;
      else flags[k] = argv[++i];
    } else if (a === "-h") flags.help = true;
    else if (a === "-C" && i + 1 < argv.length) flags.workspace = argv[++i];
    else positional.push(a);
  }
  const command = flags.stdio ? "mcp" : (positional.shift() ?? "help");
  return { command, positional, flags };
}

/** --workspace, then OSTK_WORKSPACE, then the nearest ancestor holding `.ostk/`, then cwd. */
export function findWorkspace(flags: Record<string, string | boolean>): string {
  if (typeof flags.workspace === "string") return resolve(flags.workspace);
  if (process.env.OSTK_WORKSPACE) return resolve(process.env.OSTK_WORKSPACE);
  let dir = process.cwd();
  for (;;) {
    if (existsSync(join(dir, ".ostk"))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function intFlag(flags: Record<string, string | boolean>, name: string, dflt: number): number {
  const v = flags[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

export class UsageError extends Error {}
