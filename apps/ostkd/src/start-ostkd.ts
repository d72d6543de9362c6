import { existsSync, realpathSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { type CacheProxy, startCacheProxy } from "@ostk/cache";
import { type KernelHandle, kernelExtensions, startKernel } from "@ostk/kernel";
import { openRecall, type Recall, type RecallSocket, serveSocket } from "@ostk/recall";
import type { CacheFlags, LayerName, OstkdConfig } from "./config.js";
import { initWorkspace } from "./init-workspace.js";
import type { Logger } from "./logger.js";
import { recallFollowsKernel } from "./recall-follows-kernel.js";

export type LayerState =
  | { state: "running"; ms: number; detail: Record<string, unknown> }
  | { state: "failed"; reason: string; hint?: string }
  | { state: "disabled" };

export interface StartOstkdOptions {
  workspace: string;
  config: OstkdConfig;
  cache?: CacheFlags;
  logger: Logger;
}

export interface Ostkd {
  workspace: string;
  layers: Record<LayerName, LayerState>;
  kernel?: KernelHandle;
  recall?: Recall;
  cache?: CacheProxy;
  /** Milliseconds from start to every layer ready (or failed). */
  readyMs: number;
  /** Graceful stop in reverse start order: cache (in-flight requests and streams), recall, kernel (in-flight calls, journal flush + checkpoint, databases). */
  close(): Promise<void>;
}

function describe(err: unknown): { reason: string; hint?: string } {
  const e = err as NodeJS.ErrnoException & { kind?: string };
  const reason = e?.message ?? String(err);
  if (e?.code === "EADDRINUSE")
    return {
      reason,
      hint: "another program holds that port; pick another with --port <n> (e.g. --port 8090)",
    };
  if (/anchor|already running|lock/i.test(reason))
    return { reason, hint: "another kernel serves this workspace; stop it with `ostk daemon stop`" };
  return { reason };
}

/**
 * Starts kernel → recall → cache for one workspace. Each layer is awaited until it serves (kernel
 * socket, recall socket, proxy listening) before the next one starts. A layer that fails is
 * recorded with its reason and the others keep serving where they can.
 */
export async function startOstkd(opts: StartOstkdOptions): Promise<Ostkd> {
  const t0 = performance.now();
  const { config, logger } = opts;
  const enabled = new Set(config.layers);
  await initWorkspace(opts.workspace, logger);
  const workspace = realpathSync(opts.workspace);
  const layers: Record<LayerName, LayerState> = {
    kernel: { state: "disabled" },
    recall: { state: "disabled" },
    cache: { state: "disabled" },
  };
  const ostkd: Ostkd = { workspace, layers, readyMs: 0, close: async () => {} };
  const stops: { layer: LayerName; stop: () => Promise<void> }[] = [];

  if (enabled.has("kernel")) {
    const t = performance.now();
    try {
      const k = await startKernel({
        workspace,
        logger: logger.child({ layer: "kernel" }),
        extend: kernelExtensions,
      });
      ostkd.kernel = k;
      layers.kernel = {
        state: "running",
        ms: performance.now() - t,
        detail: { socket: k.socketPath, head_seq: k.core.journal.lastSeq, key_dir: k.keyDir },
      };
      stops.push({ layer: "kernel", stop: () => k.close() });
    } catch (err) {
      layers.kernel = { state: "failed", ...describe(err) };
      logger.error({ err }, "kernel failed to start");
    }
  }

  if (enabled.has("recall")) {
    const t = performance.now();
    const log = logger.child({ layer: "recall" });
    let recall: Recall | undefined;
    let socket: RecallSocket | undefined;
    try {
      recall = await openRecall({ workspace, logger: log });
      socket = await serveSocket(recall, join(workspace, ".ostk", "recall.sock"), log);
      ostkd.recall = recall;
      const r = recall;
      const s = socket;
      let follower: Awaited<ReturnType<typeof recallFollowsKernel>> | undefined;
      // Our kernel, or the one already serving this workspace when ours could not take the lock.
      const kernelSocket = ostkd.kernel?.socketPath ?? join(workspace, ".ostk", "ostk.sock");
      if (ostkd.kernel || (await answers(kernelSocket)))
        follower = await recallFollowsKernel({ socketPath: kernelSocket, recall: r, logger: log }).catch(
          (err: unknown) => {
            log.warn({ err }, "recall: cannot follow the kernel; the file watcher keeps the index current");
            return undefined;
          },
        );
      // The first scan runs in the background: the socket answers at once, results fill in as it indexes.
      const indexing = (config.recall_watch ? r.watch() : r.scan()).then(
        () => log.info({ ms: Math.round(performance.now() - t) }, "recall: workspace indexed"),
        (err) => log.error({ err }, "recall: indexing failed"),
      );
      layers.recall = {
        state: "running",
        ms: performance.now() - t,
        detail: {
          socket: s.path,
          follows: follower ? "kernel subscription" : config.recall_watch ? "file watcher" : "nothing",
          watch: config.recall_watch,
        },
      };
      stops.push({
        layer: "recall",
        stop: async () => {
          await follower?.stop();
          await s.close();
          await indexing;
          await r.close();
        },
      });
    } catch (err) {
      layers.recall = { state: "failed", ...describe(err) };
      logger.error({ err }, "recall failed to start");
      await socket?.close().catch(() => undefined);
      await recall?.close().catch(() => undefined);
      ostkd.recall = undefined;
    }
  }

  if (enabled.has("cache")) {
    const t = performance.now();
    try {
      const flags: CacheFlags & { kernel?: { invalidation: boolean } } = { ...opts.cache };
      // Without a kernel the cache follows the journal file itself (its standalone fallback).
      const c = await startCacheProxy({ workspace, logger: logger.child({ layer: "cache" }), ...flags });
      ostkd.cache = c;
      const st = await c.stats();
      layers.cache = {
        state: "running",
        ms: performance.now() - t,
        detail: {
          url: c.url,
          mode: c.config.mode,
          upstream: c.config.upstream,
          openai_upstream: c.config.openaiUpstream,
          invalidation: st.invalidation,
          enrich: c.config.enrich.enabled ? (c.config.enrich.socketPath ?? "recall.sock") : false,
        },
      };
      for (const w of c.warnings) logger.warn({ layer: "cache" }, w);
      stops.push({ layer: "cache", stop: () => c.close() });
    } catch (err) {
      layers.cache = { state: "failed", ...describe(err) };
      logger.error({ err }, "cache failed to start");
    }
  }

  ostkd.readyMs = performance.now() - t0;
  let closing: Promise<void> | undefined;
  ostkd.close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      for (const { layer, stop } of stops.reverse()) {
        const t = performance.now();
        try {
          await stop();
          logger.info({ layer, ms: Math.round(performance.now() - t) }, `${layer} stopped`);
        } catch (err) {
          errors.push(err);
          logger.error({ err }, "a layer did not stop cleanly");
        }
      }
      if (errors.length) throw new AggregateError(errors, `${errors.length} layer(s) did not stop cleanly`);
    })();
    return closing;
  };
  logger.info(
    {
      workspace,
      ready_ms: Math.round(ostkd.readyMs),
      layers: Object.fromEntries(Object.entries(layers).map(([k, v]) => [k, v.state])),
    },
    "ostkd ready",
  );
  return ostkd;
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false);
    const s = connect(socketPath, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

export function anyRunning(o: Ostkd): boolean {
  return Object.values(o.layers).some((l) => l.state === "running");
}
