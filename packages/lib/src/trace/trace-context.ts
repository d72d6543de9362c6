import { maybeNodeModule } from "../util/node.js";

/** W3C trace context: 32-hex trace id, 16-hex span id, sampled flag. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const HEX = "0123456789abcdef";

/**
 * Random bytes for ids, drawn from a pool refilled 4 KiB at a time: asking the system for 8 or 16
 * bytes per id was a getrandom(2) per RPC call, a quarter of a client's CPU per round trip.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let out = "";
  for (let i = poolAt; i < poolAt + bytes; i++) out += HEX[pool[i] >> 4] + HEX[pool[i] & 15];
  poolAt += bytes;
  // All-zero ids are invalid in W3C trace context.
  return /^0+$/.test(out) ? randomHex(bytes) : out;
}

/** A new root trace with a fresh span. */
export function newTrace(sampled = true): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), sampled };
}

/** A child span in the same trace. */
export function childSpan(ctx: TraceContext): TraceContext {
  return { traceId: ctx.traceId, spanId: randomHex(8), sampled: ctx.sampled };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Parses a `traceparent` header; returns null for anything invalid (per W3C, never throws). */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  if (typeof header !== "string") return null;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return null;
  const [, version, traceId, spanId, flags] = m;
  if (version === "ff" || (version === "00" && header.trim().length !== 55)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** `00-<trace>-<span>-<flags>` */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? "01" : "00"}`;
}

type Store = { getStore(): TraceContext | undefined; run<R>(ctx: TraceContext, fn: () => R): R };

/** AsyncLocalStorage on Node; a synchronous stack elsewhere (propagates through sync code only). */
const store: Store = (() => {
  const hooks = maybeNodeModule("node:async_hooks");
  if (hooks) return new hooks.AsyncLocalStorage<TraceContext>();
  let current: TraceContext | undefined;
  return {
    getStore: () => current,
    run<R>(ctx: TraceContext, fn: () => R): R {
      const prev = current;
      current = ctx;
      try {
        return fn();
      } finally {
        current = prev;
      }
    },
  };
})();

/** The trace active in this async context, if any. */
export function currentTrace(): TraceContext | undefined {
  return store.getStore();
}

/** Runs `fn` with `ctx` as the current trace (propagates across awaits on Node). */
export function withTrace<R>(ctx: TraceContext, fn: () => R): R {
  return store.run(ctx, fn);
}
