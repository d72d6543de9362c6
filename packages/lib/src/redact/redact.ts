import { isSecretKey, MAYBE_SECRET, REDACTED, VALUE_PATTERNS } from "./patterns.js";

const registered = new Set<string>();
let registeredRe: RegExp | null = null;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Registers an exact secret (an API key read from config, a token minted at
 * runtime); every later `redact`/`redactString` masks it wherever it appears.
 * Values shorter than 6 characters are ignored: masking them would garble text.
 */
export function registerSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length < 6 || registered.has(secret)) return;
  registered.add(secret);
  // Longest first, so a secret that contains another is masked whole.
  const all = [...registered].sort((a, b) => b.length - a.length);
  registeredRe = new RegExp(all.map(escapeRe).join("|"), "g");
}

/** Forgets all registered secrets (tests, key rotation). */
export function clearRegisteredSecrets(): void {
  registered.clear();
  registeredRe = null;
}

/** Masks secrets inside a string: registered exact secrets and known token/key shapes. */
export function redactString(s: string): string {
  let out = s;
  if (registeredRe && out.length >= 6) out = out.replace(registeredRe, REDACTED);
  if (out.length < 8 || !MAYBE_SECRET.test(out)) return out;
  for (const { re, keep } of VALUE_PATTERNS) {
    re.lastIndex = 0;
    if (!re.test(out)) continue;
    re.lastIndex = 0;
    out = keep
      ? out.replace(re, (_m, ...groups) => `${groups[keep - 1]}${REDACTED}`)
      : out.replace(re, REDACTED);
  }
  return out;
}

function maskValue(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === "boolean") return v;
  if (typeof v === "string" && (v === "" || v === REDACTED)) return v;
  return REDACTED;
}

/**
 * A deep copy of `value` with secrets masked: values under secret-looking keys
 * (normalised: `apiKey`, `api_key`, `X-Api-Key`, `Authorization`, `password`…),
 * strings matching known secret shapes, and registered secrets. Cycles are
 * preserved in the copy; class instances other than plain objects, arrays,
 * Maps, Sets, Errors and Dates are kept by reference.
 */
export function redact<T>(value: T): T {
  return walk(value, new WeakMap()) as T;
}

function walk(v: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof v === "string") return redactString(v);
  if (v === null || typeof v !== "object") return v;
  const hit = seen.get(v);
  if (hit !== undefined) return hit;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) out.push(walk(v[i], seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, val] of v)
      out.set(k, typeof k === "string" && isSecretKey(k) ? maskValue(val) : walk(val, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const val of v) out.add(walk(val, seen));
    return out;
  }
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Error) {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    seen.set(v, out);
    out.message = redactString(v.message);
    if (v.stack) out.stack = redactString(v.stack);
    copyProps(v as unknown as Record<string, unknown>, out, seen);
    return out;
  }
  const Headers = (globalThis as { Headers?: typeof globalThis.Headers }).Headers;
  if (Headers && v instanceof Headers) {
    const out = new Headers();
    v.forEach((val, k) => {
      out.set(k, isSecretKey(k) ? REDACTED : redactString(val));
    });
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  copyProps(v as Record<string, unknown>, out, seen);
  return out;
}

function copyProps(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  seen: WeakMap<object, unknown>,
): void {
  for (const k of Object.keys(from)) {
    const val = from[k];
    to[k] =
      isSecretKey(k) && (val === null || typeof val !== "object")
        ? maskValue(val)
        : isSecretKey(k) && val
          ? REDACTED
          : walk(val, seen);
  }
}
