import type { Logger } from "../logger.js";

export type KernelFollowState = "off" | "following" | "kernel not running" | "failed";

interface JournalLike {
  event: string;
  path?: string;
  data?: { to?: string } & Record<string, unknown>;
}

interface KernelLike {
  subscribe(opts: { events?: string[]; signal?: AbortSignal }): AsyncIterable<JournalLike>;
  close(): Promise<void> | void;
}

/**
 * Follows the kernel's committed file changes (`fs.commit` journal entries) and
 * hands their paths to `onPaths` — the same path the watcher and the trigger
 * socket use. When no kernel socket is found, it does nothing (the watcher
 * covers the workspace alone). `@ostk/lib` is imported lazily so recall runs
 * standalone even where lib is not built.
 */
export class KernelFollower {
  state: KernelFollowState = "off";
  private abort = new AbortController();
  private client: KernelLike | null = null;

  constructor(
    private readonly workspace: string,
    private readonly onPaths: (paths: string[]) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<KernelFollowState> {
    let lib: { KernelClient: { connect(o: { cwd: string }): Promise<KernelLike> } };
    try {
      const name = "@ostk/lib";
      lib = (await import(name)) as typeof lib;
    } catch (err) {
      this.state = "failed";
      this.logger.warn(
        { err },
        "@ostk/lib could not be loaded; not following the kernel (the watcher still runs)",
      );
      return this.state;
    }
    try {
      this.client = await lib.KernelClient.connect({ cwd: this.workspace });
    } catch (err) {
      this.state = "kernel not running";
      this.logger.debug({ err }, "no kernel to follow; the watcher covers the workspace");
      return this.state;
    }
    this.state = "following";
    const client = this.client;
    void (async () => {
      try {
        for await (const e of client.subscribe({ events: ["fs.commit"], signal: this.abort.signal })) {
          const paths = [e.path, e.data?.to].filter(
            (p): p is string => typeof p === "string" && p.length > 0,
          );
          if (paths.length) this.onPaths(paths);
        }
      } catch (err) {
        if (!this.abort.signal.aborted) {
          this.state = "failed";
          this.logger.warn({ err }, "kernel subscription ended; the watcher still covers the workspace");
        }
      }
    })();
    return this.state;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.client?.close();
    this.client = null;
    this.state = "off";
  }
}
