import * as fs from "node:fs";
import * as path from "node:path";
import { type FakeUpstream, startFakeUpstream } from "@ostk/cache/testing";
import { type JournalEntry, KernelClient } from "@ostk/lib";
import Database from "better-sqlite3";
import { parseAgentfile } from "../../src/agentfile/parse.js";
import { kernelExtensions } from "../../src/daemon/extensions.js";
import { type KernelHandle, startKernel } from "../../src/daemon/start-kernel.js";
import { agentMethods } from "../../src/orchestrator/agent-handlers.js";
import { type AgentRunOptions, type RunSummary, runAgent } from "../../src/orchestrator/agent-run.js";
import { type KernelPort, socketKernelPort } from "../../src/orchestrator/kernel-port.js";
import { createProvider } from "../../src/orchestrator/provider-factory.js";
import { AgentRunStore } from "../../src/orchestrator/run-store.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

export type KernelMethods = NonNullable<Parameters<typeof startKernel>[0]["methods"]>;

/**
 * A real kernel daemon on a socket in a temporary workspace, the cache's fake
 * model upstream on loopback, and an agent-run store in the workspace's
 * sessions.db. Extra kernel methods (exec, approvals) can be passed in.
 */
export async function orchestratorEnv(opts: { methods?: (k: KernelHandle) => KernelMethods } = {}) {
  const env = tmpKernelEnv();
  const up: FakeUpstream = await startFakeUpstream();
  let handle: KernelHandle | undefined;
  // The daemon's own wiring (kernelExtensions), the agent/* methods, plus test extras.
  const start = async () => {
    handle = await startKernel({
      workspace: env.workspace,
      keyPath: env.keyPath,
      extend: async (k) => ({
        ...(agentMethods({
          workspace: k.workspace,
          record: (r) => k.core.recordDurable(r),
        }) as unknown as KernelMethods),
        ...(await kernelExtensions(k)),
        ...(opts.methods?.(k) ?? {}),
      }),
    });
    return handle;
  };
  await start();
  const socketPath = path.join(env.workspace, ".ostk", "ostk.sock");
  const client = await KernelClient.connect({ socketPath, reconnect: { maxDelayMs: 100 } });
  const kernel: KernelPort = socketKernelPort(client);
  const db = new Database(path.join(env.workspace, ".ostk", "sessions.db"));
  const store = new AgentRunStore(db);
  const providerEnv = {
    ANTHROPIC_API_KEY: "sk-ant-test-key",
    ANTHROPIC_BASE_URL: up.url,
    OPENAI_API_KEY: "sk-openai-test-key",
    OPENAI_BASE_URL: `${up.url}/v1`,
  };
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(env.workspace, rel)), { recursive: true });
    fs.writeFileSync(path.join(env.workspace, rel), text);
  };
  const agentfile = (text: string, file = "worker.af") => {
    write(file, text);
    const r = parseAgentfile(text, { path: path.join(env.workspace, file) });
    if (!r.agentfile) throw new Error(JSON.stringify(r.diagnostics));
    return r.agentfile;
  };
  const run = (af: ReturnType<typeof agentfile>, extra: Partial<AgentRunOptions> = {}): Promise<RunSummary> =>
    runAgent({
      agentfile: af,
      name: "worker",
      provider: createProvider(af.from, { env: providerEnv, maxRetries: 0 }).provider,
      kernel,
      store,
      workspace: env.workspace,
      ...extra,
    });
  const journal = async (): Promise<JournalEntry[]> =>
    ((await client.call("journal/query", { limit: 10_000 })) as { entries: JournalEntry[] }).entries;
  return {
    env,
    up,
    store,
    kernel,
    client,
    providerEnv,
    write,
    agentfile,
    run,
    journal,
    handle: () => handle!,
    /** Stops the daemon and starts it again on the same workspace (the client reconnects). */
    async restartKernel() {
      await handle!.close();
      await start();
    },
    read: (rel: string) => fs.readFileSync(path.join(env.workspace, rel), "utf8"),
    async [Symbol.asyncDispose]() {
      await client.close().catch(() => {});
      db.close();
      await handle?.close().catch(() => {});
      await up.close();
      await env[Symbol.asyncDispose]();
    },
  };
}
