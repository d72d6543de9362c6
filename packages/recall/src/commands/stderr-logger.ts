import type { Logger } from "../logger.js";

/** CLI diagnostics go to stderr; debug only with OSTK_DEBUG=1. */
export function stderrLogger(): Logger {
  const out = (level: string) => (obj: unknown, msg?: string) => {
    const detail =
      obj instanceof Error
        ? obj.message
        : obj && typeof obj === "object" && "err" in obj
          ? String((obj as { err: Error }).err?.message ?? "")
          : "";
    process.stderr.write(
      `ostk-recall ${level}: ${msg ?? (typeof obj === "string" ? obj : "")}${detail ? ` (${detail})` : ""}\n`,
    );
  };
  return {
    debug: process.env.OSTK_DEBUG ? out("debug") : () => {},
    info: process.env.OSTK_DEBUG ? out("info") : () => {},
    warn: out("warn"),
    error: out("error"),
  };
}
