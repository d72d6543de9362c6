import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { currentTrace, redact, redactString } from "@ostk/lib";
import pino, { type Logger } from "pino";

export type { Logger };

/** Key paths pino masks before anything else runs (fast path; `redact` below catches the rest). */
export const REDACT_PATHS = [
  "*.authorization",
  "*.Authorization",
  "*.apiKey",
  "*.api_key",
  "*['x-api-key']",
  "*.password",
  "*.token",
  "*.secret",
  "*.content",
  "*.new_str",
  "*.old_str",
  "*.env",
  "headers.authorization",
  "headers['x-api-key']",
];

/**
 * The one logger of the daemon: JSON lines, secrets masked by key path (pino `redact`) and by value
 * (lib's `redact`/`redactString` in a log-method hook), and the current trace id on every line.
 */
export function createLogger(opts: { level: string; log: string; workspace: string }): {
  logger: Logger;
  destination: string;
  flush: () => void;
} {
  const target = opts.log === "-" ? null : isAbsolute(opts.log) ? opts.log : join(opts.workspace, opts.log);
  if (target) mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const dest = target
    ? pino.destination({ dest: target, mkdir: true, sync: false, mode: 0o600 } as never)
    : pino.destination({ dest: 2, sync: true });
  const logger = pino(
    {
      level: opts.level,
      base: { pid: process.pid, app: "ostkd" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      mixin() {
        const t = currentTrace();
        return t ? { trace_id: t.traceId, span_id: t.spanId } : {};
      },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) =>
            typeof a === "string"
              ? redactString(a)
              : a instanceof Error
                ? {
                    err: {
                      type: a.name,
                      message: redactString(a.message),
                      code: (a as { code?: unknown }).code,
                    },
                  }
                : a && typeof a === "object"
                  ? redact(a)
                  : a,
          );
          return method.apply(this, clean as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (e: unknown) =>
          e instanceof Error
            ? { type: e.name, message: redactString(e.message), stack: redactString(e.stack ?? "") }
            : e,
      },
    },
    dest,
  );
  return {
    logger,
    destination: target ?? "stderr",
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // sonic-boom not ready yet (nothing written): nothing to flush
      }
    },
  };
}
