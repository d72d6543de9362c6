import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CacheProxy, type StartCacheProxyOptions, startCacheProxy } from "../../src/index";
import { type FakeUpstream, startFakeUpstream } from "../../src/testing/index";

export const ANTHROPIC_KEY = "sk-ant-api03-TESTKEY-do-not-leak-0123456789abcdef";
export const OPENAI_KEY = "sk-proj-TESTKEY-openai-do-not-leak-0123456789";

export interface Rig {
  up: FakeUpstream;
  proxy: CacheProxy;
  workspace: string;
  close(): Promise<void>;
}

export async function startRig(opts: StartCacheProxyOptions = {}): Promise<Rig> {
  const up = await startFakeUpstream();
  const workspace = mkdtempSync(join(tmpdir(), "ostk-cache-ws-"));
  const proxy = await startCacheProxy({
    workspace,
    port: 0,
    upstream: up.url,
    ignoreConfigFiles: true,
    ...opts,
  });
  return {
    up,
    proxy,
    workspace,
    async close() {
      await proxy.close();
      await up.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir`, recursively, with its bytes. */
export function allFiles(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

export function ledgerRows(workspace: string): Record<string, unknown>[] {
  const text = readFileSync(join(workspace, ".ostk", "memory", "ledger.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
