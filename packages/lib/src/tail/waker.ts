import { nodeModule } from "../util/node.js";

/** Wakes on directory changes or after `pollMs`, whichever comes first. */
export class Waker {
  private watcher: { close(): void } | null = null;
  private wake: (() => void) | null = null;
  constructor(
    dir: string,
    private readonly pollMs: number,
  ) {
    try {
      this.watcher = nodeModule("node:fs").watch(dir, { persistent: false }, () => this.wake?.());
      (this.watcher as unknown as { on?(e: string, cb: () => void): void }).on?.("error", () => {});
    } catch {
      this.watcher = null;
    }
  }
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, this.pollMs);
      this.wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }
  close(): void {
    this.watcher?.close();
  }
}
