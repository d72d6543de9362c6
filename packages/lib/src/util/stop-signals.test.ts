import { afterEach, describe, expect, it } from "vitest";
import { onStopSignals } from "./stop-signals.js";

describe("onStopSignals", () => {
  let dispose: (() => void) | undefined;
  afterEach(() => dispose?.());

  it("stops once on the first signal, ignores the same Ctrl-C relayed, forces on a later one", async () => {
    const calls: string[] = [];
    dispose = onStopSignals({
      stop: (s) => calls.push(`stop ${s}`),
      force: (s) => calls.push(`force ${s}`),
      relayWindowMs: 40,
    });
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGINT", "SIGINT"); // npm relaying the terminal's Ctrl-C
    expect(calls).toEqual(["stop SIGINT"]);
    await new Promise((r) => setTimeout(r, 60));
    process.emit("SIGTERM", "SIGTERM");
    expect(calls).toEqual(["stop SIGINT", "force SIGTERM"]);
  });

  it("removes its handlers when disposed", () => {
    const calls: string[] = [];
    const before = process.listenerCount("SIGINT");
    const off = onStopSignals({ stop: (s) => calls.push(s) });
    expect(process.listenerCount("SIGINT")).toBe(before + 1);
    off();
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});
