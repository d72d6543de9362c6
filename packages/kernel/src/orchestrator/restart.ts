import { type AgentRunOptions, type RunSummary, runAgent } from "./agent-run.js";

/** How many times `RESTART on-failure` continues a failed run, and the first backoff. */
export const RESTART_ATTEMPTS = 3;

/**
 * `runAgent`, honouring `RESTART on-failure`: a run that ends `failed` (a
 * model or kernel error, not a limit, a kill or a denied BOOT) is resumed from
 * its last snapshot, up to RESTART_ATTEMPTS times with doubling backoff.
 */
export async function runAgentWithRestart(
  o: AgentRunOptions & { backoffMs?: number; onRestart?: (attempt: number, last: RunSummary) => void },
): Promise<RunSummary> {
  let summary = await runAgent(o);
  if (o.agentfile.restart !== "on-failure") return summary;
  for (let attempt = 1; attempt <= RESTART_ATTEMPTS; attempt++) {
    if (summary.status !== "failed" || summary.reason === "boot-failed" || o.signal?.aborted) return summary;
    o.onRestart?.(attempt, summary);
    await new Promise((r) => setTimeout(r, (o.backoffMs ?? 1000) * 2 ** (attempt - 1)));
    summary = await runAgent({ ...o, resume: summary.session, task: undefined });
  }
  return summary;
}
