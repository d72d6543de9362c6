export interface StopSignalOptions {
  /** Called once, on the first SIGINT or SIGTERM: begin a graceful stop. */
  stop: (signal: NodeJS.Signals) => void;
  /** Called on a later signal, sent after `relayWindowMs`: the user insists. Default: exit 130. */
  force?: (signal: NodeJS.Signals) => void;
  /** A repeat within this many ms is the same signal relayed, not a second request. Default 500. */
  relayWindowMs?: number;
}

/**
 * How a long-running ostk command stops: the first SIGINT/SIGTERM starts a graceful stop, a second
 * one forces. One Ctrl-C often arrives twice, milliseconds apart — the terminal signals the whole
 * process group and `npm start` / `npx` relay it to their child — so a repeat inside the relay
 * window is ignored rather than taken as "force". Returns a function that removes the handlers.
 */
export function onStopSignals(opts: StopSignalOptions): () => void {
  const window = opts.relayWindowMs ?? 500;
  const force = opts.force ?? (() => process.exit(130));
  let firstAt = -1;
  const on = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (firstAt < 0) {
      firstAt = now;
      opts.stop(signal);
    } else if (now - firstAt >= window) force(signal);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return () => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
  };
}
