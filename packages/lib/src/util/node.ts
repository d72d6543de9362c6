import { OstkError } from "../errors.js";

type Builtins = {
  "node:net": typeof import("node:net");
  "node:fs": typeof import("node:fs");
  "node:fs/promises": typeof import("node:fs/promises");
  "node:path": typeof import("node:path");
  "node:async_hooks": typeof import("node:async_hooks");
  "node:child_process": typeof import("node:child_process");
  "node:os": typeof import("node:os");
};

type ProcessLike = { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };

/**
 * A Node builtin, loaded at call time through `process.getBuiltinModule` so that
 * importing `@ostk/lib` never pulls `node:*` into a browser or worker bundle.
 */
export function nodeModule<K extends keyof Builtins>(id: K): Builtins[K] {
  const mod = maybeNodeModule(id);
  if (!mod) {
    throw new OstkError(
      "NodeOnly",
      `${id} is not available in this runtime; sockets and files need Node >= 20.19 (the rest of @ostk/lib works anywhere)`,
    );
  }
  return mod;
}

export function maybeNodeModule<K extends keyof Builtins>(id: K): Builtins[K] | undefined {
  try {
    const p = (globalThis as { process?: ProcessLike }).process;
    return p?.getBuiltinModule?.(id) as Builtins[K] | undefined;
  } catch {
    return undefined;
  }
}

/** Environment variables when the runtime has them. */
export function env(name: string): string | undefined {
  return (globalThis as { process?: ProcessLike }).process?.env?.[name];
}
