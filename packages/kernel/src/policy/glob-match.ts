import picomatch from "picomatch";

const cache = new Map<string, (p: string) => boolean>();

/** Workspace-relative glob match (dotfiles included; `dir/**` also matches `dir` itself). */
export function globMatch(pattern: string, path: string): boolean {
  let m = cache.get(pattern);
  if (!m) {
    const base = picomatch(pattern, { dot: true });
    const self = pattern.endsWith("/**") ? pattern.slice(0, -3) : null;
    m = (p: string) => base(p) || (self !== null && p === self);
    cache.set(pattern, m);
  }
  return m(path);
}

/** The first pattern matching `path`, or undefined. */
export function firstMatch(patterns: readonly string[], path: string): string | undefined {
  return patterns.find((p) => globMatch(p, path));
}

/** `*` wildcards over a whole string (for command allow-list entries). */
export function wildcardMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map(escapeRe).join(".*")}$`, "s");
  return re.test(s);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
