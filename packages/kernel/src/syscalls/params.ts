import { OstkRpcError } from "@ostk/lib";

/** Small runtime checks for syscall params (the daemon also validates frames against the protocol). */
export type Params = Record<string, unknown>;

export function asParams(p: unknown): Params {
  if (p === undefined || p === null) return {};
  if (typeof p !== "object" || Array.isArray(p))
    throw new OstkRpcError("InvalidParams", "params must be an object");
  return p as Params;
}

export function str(p: Params, key: string, opts: { optional?: false; allowEmpty?: boolean }): string;
export function str(
  p: Params,
  key: string,
  opts: { optional: true; allowEmpty?: boolean },
): string | undefined;
export function str(
  p: Params,
  key: string,
  opts: { optional?: boolean; allowEmpty?: boolean } = {},
): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new OstkRpcError("InvalidParams", `${key}: required`, { errors: [`${key}: required`] });
  }
  if (typeof v !== "string")
    throw new OstkRpcError("InvalidParams", `${key}: must be a string`, {
      errors: [`${key}: must be a string`],
    });
  if (!opts.allowEmpty && v.length === 0)
    throw new OstkRpcError("InvalidParams", `${key}: must not be empty`);
  return v;
}

export function int(p: Params, key: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new OstkRpcError("InvalidParams", `${key}: must be an integer`);
  if (opts.min !== undefined && v < opts.min)
    throw new OstkRpcError("InvalidParams", `${key}: must be ≥ ${opts.min}`);
  if (opts.max !== undefined && v > opts.max)
    throw new OstkRpcError("InvalidParams", `${key}: must be ≤ ${opts.max}`);
  return v;
}

export function bool(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new OstkRpcError("InvalidParams", `${key}: must be a boolean`);
  return v;
}
