import { join } from "node:path";
import { onStopSignals } from "@ostk/lib";
import { openRecall } from "../recall.js";
import { serveSocket } from "../watch/socket-server.js";
import { type Args, findWorkspace } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

/**
 * `watch`: keep the index current (reconcile scan, then the debounced watcher) and
 * accept triggers on `.ostk/recall.sock`. `serve` does the same; it exists as the
 * daemon entry (JSON-RPC on the socket) and accepts `--no-watch`.
 */
export async function serveCommand(args: Args): Promise<number> {
  const workspace = findWorkspace(args.flags);
  const logger = stderrLogger();
  const recall = await openRecall({ workspace, logger });
  const socket = await serveSocket(recall, join(workspace, ".ostk", "recall.sock"), logger);
  if (!args.flags["no-watch"]) await recall.watch();
  const s = await recall.status();
  process.stdout.write(
    `ostk-recall ${args.command === "serve" ? "serving" : "watching"} ${workspace}: ${s.files} files, ${s.chunks} chunks; socket ${socket.path}. Ctrl-C to stop.\n`,
  );
  await new Promise<void>((res) => onStopSignals({ stop: () => res() }));
  await socket.close();
  await recall.close();
  return 0;
}
