import { METHODS, type Validator } from "./generated/methods.js";

/** `path: message` lines from a generated validator's errors (path "/" for the root). */
export function validationErrors(validator: Validator, root = "params"): string[] {
  return (validator.errors ?? []).map((e) => {
    let path = root + e.instancePath.replace(/\//g, ".");
    if (e.keyword === "additionalProperties" && typeof e.params.additionalProperty === "string")
      return `${path}.${e.params.additionalProperty}: is not allowed`;
    if (e.keyword === "required" && typeof e.params.missingProperty === "string") {
      path = `${path}.${e.params.missingProperty}`;
      return `${path}: is required`;
    }
    return `${path}: ${e.message ?? e.keyword}`;
  });
}

export type ParamsCheck = { ok: true } | { ok: false; unknownMethod: boolean; errors: string[] };

/** Checks a method's params against the protocol. Unknown methods are reported, not thrown. */
export function checkParams(method: string, params: unknown): ParamsCheck {
  const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!spec) return { ok: false, unknownMethod: true, errors: [`method: ${method} is not in the protocol`] };
  const value = params === undefined ? {} : params;
  if (spec.params(value)) return { ok: true };
  return { ok: false, unknownMethod: false, errors: validationErrors(spec.params) };
}

/** Checks a method's result against the protocol (for servers that want to catch their own bugs). */
export function checkResult(method: string, result: unknown): ParamsCheck {
  const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!spec?.result) return { ok: false, unknownMethod: !spec, errors: [`method: ${method} has no result`] };
  if (spec.result(result)) return { ok: true };
  return { ok: false, unknownMethod: false, errors: validationErrors(spec.result, "result") };
}

/** True when the protocol declares `method` (request or notification). */
export function isProtocolMethod(method: string): boolean {
  return Object.hasOwn(METHODS, method);
}
