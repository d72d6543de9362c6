import type { Options } from "tsup";

/** Shared tsup settings: ESM only, Node 20.19 target, bundled .d.ts. */
export function tsupBase(entry: Record<string, string> | string[], extra: Options = {}): Options {
  return {
    entry,
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    ...extra,
  };
}
