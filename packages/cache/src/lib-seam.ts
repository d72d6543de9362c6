/**
 * The few @ostk/lib functions this package uses, reached through one seam so the proxy keeps
 * working (with local fallbacks) while a lib function is missing, and so tests can see the calls.
 */
import { randomFillSync } from "node:crypto";
import * as lib from "@ostk/lib";

// biome-ignore lint/suspicious/noExplicitAny: lib is read through a loose view; shapes are fixed by the brief
const L = lib as any;

const SECRET_KEY = /(api[-_]?key|authorization|token|secret|password|passwd|cookie|private[-_]?key)/i;
const SECRET_VALUE =
  /(sk-ant-[A-Za-z0-9_-]{8,}|sk-(?:proj-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[baprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|Bearer\s+[A-Za-z0-9._~+/-]{12,}=*)/g;
const registered = new Set<string>();

function fallbackRedactString(s: string): string {
  let out = s.replace(SECRET_VALUE, "[REDACTED]");
  for (const secret of registered)
    if (secret && out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  return out;
}

function fallbackRedact<T>(value: T, key = ""): T {
  if (typeof value === "string")
    return (SECRET_KEY.test(key) ? "[REDACTED]" : fallbackRedactString(value)) as T;
  if (Array.isArray(value)) return value.map((v) => fallbackRedact(v)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fallbackRedact(v, k);
    return out as T;
  }
  return value;
}

/** Masks secrets in a string (lib's `redactString`, or a local pattern list until lib has it). */
export function redactString(s: string): string {
  return typeof L.redactString === "function" ? L.redactString(s) : fallbackRedactString(s);
}

/** Deep copy with secrets masked (lib's `redact`). */
export function redact<T>(value: T): T {
  return typeof L.redact === "function" ? L.redact(value) : fallbackRedact(value);
}

/** Teaches the redactor a secret seen at run time (an API key), so it is masked wherever it appears. */
export function registerSecret(secret: string): void {
  if (!secret || secret.length < 8 || registered.has(secret)) return;
  registered.add(secret);
  if (typeof L.registerSecret === "function") L.registerSecret(secret);
}

/** A W3C trace id for a request: the client's `traceparent` if valid, else a new one. */
export function traceIdFor(traceparent: string | undefined): string {
  if (traceparent && typeof L.parseTraceparent === "function") {
    const ctx = L.parseTraceparent(traceparent);
    if (ctx?.traceId) return ctx.traceId;
  } else if (traceparent) {
    const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
    if (m) return m[1];
  }
  return randomTraceId();
}

// 16 random bytes per trace id, drawn from a pooled buffer (one getrandom per 256 ids, not one per id).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomTraceId(): string {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = pool.toString("hex", poolAt, poolAt + 16);
  poolAt += 16;
  // W3C: an all-zero trace id is invalid.
  return id === "00000000000000000000000000000000" ? randomTraceId() : id;
}

/** A committed file change, as the kernel publishes it or as read from the journal. */
export interface ChangeEvent {
  event: string;
  path?: string;
  data?: { op?: string; to?: string };
}

export interface KernelLike {
  call?(method: string, params: unknown): Promise<unknown>;
  subscribe?(filter: { paths?: string[]; events?: string[] }): AsyncIterable<ChangeEvent>;
  projection?(params?: unknown): Promise<unknown>;
  close(): Promise<void> | void;
}

/** Connects to the workspace's kernel, or returns undefined when lib's client or the daemon is absent. */
export async function connectKernel(opts: {
  cwd: string;
  socketPath?: string;
  timeoutMs?: number;
}): Promise<KernelLike | undefined> {
  if (typeof L.KernelClient?.connect !== "function") return undefined;
  try {
    return await L.KernelClient.connect({
      cwd: opts.cwd,
      socketPath: opts.socketPath,
      timeoutMs: opts.timeoutMs ?? 1000,
    });
  } catch {
    return undefined;
  }
}

/** lib's `auditTail`, or undefined until it exists. */
export function auditTail(
  path: string,
  opts: { signal?: AbortSignal },
): AsyncIterable<{ line: string; entry: ChangeEvent | null }> | undefined {
  return typeof L.auditTail === "function" ? L.auditTail(path, opts) : undefined;
}

/** lib's RpcClient.connect, or undefined until it exists. */
export async function connectRpc(
  socketPath: string,
  timeoutMs: number,
): Promise<
  { call(method: string, params: unknown): Promise<unknown>; close(): Promise<void> | void } | undefined
> {
  if (typeof L.RpcClient?.connect !== "function") return undefined;
  return L.RpcClient.connect({ socketPath, timeoutMs });
}
