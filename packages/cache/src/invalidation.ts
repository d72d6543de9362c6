import { join } from "node:path";
import { auditTail, type ChangeEvent, connectKernel, type KernelLike } from "./lib-seam";
import type { LoggerLike } from "./server/proxy-state";

/** Paths a committed journal entry changed (moves count both ends). */
export function changedPaths(entry: ChangeEvent | null): string[] {
  if (entry?.event !== "fs.commit" || !entry.path) return [];
  return entry.data?.to ? [entry.path, entry.data.to] : [entry.path];
}

/**
 * Feeds committed file changes to `onChange`: from the kernel's subscription when a kernel runs,
 * else by tailing `.ostk/journal.jsonl` with lib's audit tailer. Returns a stop function.
 */
export async function followChanges(opts: {
  workspace: string;
  socketPath?: string;
  onChange: (paths: string[]) => void | Promise<void>;
  logger?: LoggerLike;
  kernel?: KernelLike;
}): Promise<{ source: "kernel" | "journal" | "none"; stop: () => Promise<void> }> {
  const ac = new AbortController();
  const kernel =
    opts.kernel ??
    (await connectKernel({ cwd: opts.workspace, socketPath: opts.socketPath, timeoutMs: 500 }));
  let iterable: AsyncIterable<ChangeEvent | null> | undefined;
  let source: "kernel" | "journal" | "none" = "none";
  if (kernel?.subscribe) {
    iterable = kernel.subscribe({ events: ["fs.commit"] });
    source = "kernel";
  } else {
    const tail = auditTail(join(opts.workspace, ".ostk", "journal.jsonl"), { signal: ac.signal });
    if (tail)
      iterable = (async function* () {
        for await (const item of tail) yield item.entry;
      })();
    source = tail ? "journal" : "none";
  }
  const loop = (async () => {
    if (!iterable) return;
    try {
      for await (const entry of iterable) {
        if (ac.signal.aborted) break;
        const paths = changedPaths(entry);
        if (paths.length) await opts.onChange(paths);
      }
    } catch (err) {
      if (!ac.signal.aborted) opts.logger?.warn({ err: String(err) }, "cache invalidation feed stopped");
    }
  })();
  return {
    source,
    async stop() {
      ac.abort();
      if (!opts.kernel) await kernel?.close();
      await Promise.race([loop, new Promise((r) => setTimeout(r, 200))]);
    },
  };
}

/** rebuild-kernel: asks the kernel for `kernel/projection`, undefined on timeout or error. */
export function kernelProjection(workspace: string, socketPath: string | undefined, timeoutMs: number) {
  return async (): Promise<string | undefined> => {
    const deadline = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref());
    const attempt = (async () => {
      const kernel = await connectKernel({ cwd: workspace, socketPath, timeoutMs });
      if (!kernel) return undefined;
      try {
        const result = kernel.projection
          ? await kernel.projection({})
          : await kernel.call?.("kernel/projection", {});
        if (result === undefined || result === null) return undefined;
        const r = result as { text?: string };
        return typeof r.text === "string" ? r.text : JSON.stringify(result, null, 1);
      } finally {
        await kernel.close();
      }
    })().catch(() => undefined);
    return Promise.race([attempt, deadline]);
  };
}
