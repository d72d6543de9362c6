import { type JournalEntry, KernelClient, newTrace, withTrace } from "@ostk/lib";
import type { Recall } from "@ostk/recall";
import type { Logger } from "./logger.js";

/** Paths a committed entry changed (a move changes both ends). */
export function committedPaths(e: JournalEntry): string[] {
  if (e.event !== "fs.commit" || !e.path) return [];
  const to = (e.data as { to?: unknown } | undefined)?.to;
  return typeof to === "string" ? [e.path, to] : [e.path];
}

/**
 * Recall follows the kernel through the protocol, exactly as an outside integration would: a
 * `KernelClient` on the kernel socket, `client/subscribe` to committed entries. Each entry is
 * recorded as a recall event (who changed what, when) and its paths are re-indexed at once — a
 * commit is final, so it skips the watcher's debounce; paths that arrive while a pass runs are
 * coalesced into the next one.
 */
export async function recallFollowsKernel(opts: {
  socketPath: string;
  recall: Recall;
  logger: Logger;
}): Promise<{ stop: () => Promise<void>; done: Promise<void> }> {
  const client = await KernelClient.connect({
    socketPath: opts.socketPath,
    identity: { id: "ostk-recall", kind: "integration" },
    reconnect: true,
    timeoutMs: 5_000,
  });
  const ac = new AbortController();
  const pending = new Set<string>();
  let pumping: Promise<void> | null = null;
  const pump = async () => {
    while (pending.size) {
      const batch = [...pending];
      pending.clear();
      await opts.recall.indexPaths(batch).catch((err: unknown) => {
        opts.logger.warn({ err, paths: batch.slice(0, 20) }, "recall: could not index committed paths");
      });
    }
    pumping = null;
  };
  const enqueue = (paths: string[]) => {
    for (const p of paths) pending.add(p);
    pumping ??= pump();
  };
  const done = (async () => {
    try {
      for await (const e of client.subscribe({ signal: ac.signal })) {
        if (ac.signal.aborted) break;
        await withTrace(
          e.trace ? { traceId: e.trace, spanId: newTrace().spanId, sampled: true } : newTrace(),
          async () => {
            try {
              const paths = committedPaths(e);
              opts.recall.store.addEvent(`journal.${e.event}`, e.path ?? null, {
                seq: e.seq,
                actor: e.actor,
                op: (e.data as { op?: unknown } | undefined)?.op,
                gen_after: e.gen_after,
              });
              if (paths.length) enqueue(paths);
            } catch (err) {
              opts.logger.warn({ err, seq: e.seq }, "recall: could not index a journal entry");
            }
          },
        );
      }
    } catch (err) {
      if (!ac.signal.aborted) opts.logger.warn({ err }, "recall: kernel subscription ended");
    }
  })();
  return {
    done,
    async stop() {
      ac.abort();
      await client.close().catch(() => undefined);
      await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
      await pumping;
    },
  };
}
