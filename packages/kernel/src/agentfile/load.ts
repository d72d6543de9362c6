import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { OstkError } from "@ostk/lib";
import { type ParseOptions, type ParseResult, parseAgentfile } from "./parse.js";

/**
 * Finds an Agentfile: an explicit path (`worker.af`, `Agentfile`, a directory
 * holding an `Agentfile`), or a bare name looked up as `.ostk/agents/<name>.af`
 * in `cwd` and its parents.
 */
export function resolveAgentfilePath(ref: string | undefined, cwd: string): string {
  const tried: string[] = [];
  const candidates: string[] = [];
  if (ref === undefined || ref === "") candidates.push(join(cwd, "Agentfile"));
  else {
    const p = isAbsolute(ref) ? ref : resolve(cwd, ref);
    candidates.push(p);
    if (!ref.includes("/") && !ref.endsWith(".af")) {
      for (let dir = cwd; ; dir = resolve(dir, "..")) {
        candidates.push(join(dir, ".ostk", "agents", `${ref}.af`));
        if (resolve(dir, "..") === dir) break;
      }
    }
  }
  for (const c of candidates) {
    tried.push(c);
    if (!existsSync(c)) continue;
    if (statSync(c).isDirectory()) {
      const inner = join(c, "Agentfile");
      if (existsSync(inner)) return inner;
      continue;
    }
    return c;
  }
  throw new OstkError(
    "agentfile-not-found",
    `no Agentfile found for "${ref ?? ""}" (looked at ${tried.join(", ")}); create one with "ostk agentfile new ${ref && !ref.includes("/") ? ref : "worker"}"`,
  );
}

export interface LoadedAgentfile extends ParseResult {
  path: string;
  source: string;
}

/** Reads, hashes and parses an Agentfile from disk. */
export function loadAgentfile(path: string, opts: Omit<ParseOptions, "path"> = {}): LoadedAgentfile {
  const bytes = readFileSync(path);
  const source = bytes.toString("utf8");
  const result = parseAgentfile(source, { ...opts, path });
  return { ...result, path, source };
}

/** Agent name from its file: `.ostk/agents/worker.af` → `worker`, `Agentfile` → parent directory name. */
export function agentName(path: string): string {
  const b = basename(path);
  if (b === "Agentfile") return basename(resolve(path, "..")) || "agent";
  return b.replace(/\.af$/, "");
}
