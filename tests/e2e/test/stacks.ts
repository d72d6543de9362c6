import { existsSync } from "node:fs";
import { join } from "node:path";
import { binOf, CACHE_CLI, KERNEL_CLI, OSTKD_CLI, type Proc, RECALL_CLI, startProc } from "./helpers.js";

/** A running ostk for one workspace: either ostkd (one process) or the three layers started alone. */
export interface Stack {
  kind: "ostkd" | "standalone";
  workspace: string;
  /** The `ostk` CLI that serves MCP (`ostk mcp -C <ws>`). */
  kernelCli: string;
  cacheCli: string;
  proxy: string;
  procs: Proc[];
  /** SIGTERM every process (reverse start order); resolves with their exit codes. */
  stop(): Promise<(number | null)[]>;
}

export async function startOstkd(ws: string, upstream: string, env: NodeJS.ProcessEnv): Promise<Stack> {
  const p = startProc(
    process.execPath,
    [OSTKD_CLI, ws, "--port", "0", "--upstream", upstream, "--json"],
    env,
  );
  const line = await p.waitFor(/^\{.*\}$/m, 60_000);
  const info = JSON.parse(line[0]);
  for (const l of ["kernel", "recall", "cache"])
    if (info.layers[l].state !== "running")
      throw new Error(`ostkd: ${l} did not start: ${JSON.stringify(info.layers[l])}`);
  return {
    kind: "ostkd",
    workspace: info.workspace,
    kernelCli: info.mcp.args[0],
    cacheCli: CACHE_CLI,
    proxy: info.proxy,
    procs: [p],
    stop: async () => [await p.stop()],
  };
}

/** The layers started alone, each by its own `bin` (from `roots`: unpacked tarballs, or the monorepo). */
export async function startStandalone(
  ws: string,
  upstream: string,
  env: NodeJS.ProcessEnv,
  roots?: Record<string, string>,
): Promise<Stack> {
  const kernelCli = roots ? binOf(roots.kernel, "ostk") : KERNEL_CLI;
  const recallCli = roots ? binOf(roots.recall, "ostk-recall") : RECALL_CLI;
  const cacheCli = roots ? binOf(roots.cache, "ostk-cache") : CACHE_CLI;
  const procs: Proc[] = [];
  const stop = async () => {
    const codes: (number | null)[] = [];
    for (const p of [...procs].reverse()) codes.unshift(await p.stop());
    return codes;
  };
  try {
    const init = startProc(process.execPath, [kernelCli, "init", "-C", ws], env);
    if ((await init.exit) !== 0) throw new Error(`ostk init failed: ${init.err}`);
    const kernel = startProc(process.execPath, [kernelCli, "daemon", "-C", ws], env);
    procs.push(kernel);
    await kernel.waitFor(/kernel started/, 30_000);
    const recall = startProc(process.execPath, [recallCli, "serve", "-C", ws], env);
    procs.push(recall);
    await recall.waitFor(/socket .*recall\.sock/, 60_000);
    const cache = startProc(
      process.execPath,
      [cacheCli, "--port", "0", "--upstream", upstream, "--workspace", ws],
      env,
    );
    procs.push(cache);
    const m = await cache.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/, 30_000);
    if (!existsSync(join(ws, ".ostk", "ostk.sock"))) throw new Error("kernel socket missing");
    return { kind: "standalone", workspace: ws, kernelCli, cacheCli, proxy: m[1], procs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
