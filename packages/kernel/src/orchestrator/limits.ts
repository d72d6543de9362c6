import type { AgentLimits } from "../agentfile/types.js";
import type { Usage } from "./model-types.js";

export type LimitName = "turns" | "tokens" | "budget_usd" | "wall_clock";

/** Which limit (if any) the run has reached. Checked before every model call and after every turn. */
export function limitReached(
  limits: AgentLimits,
  s: { turns: number; usage: Usage; cost_usd: number; elapsed_ms: number },
): { limit: LimitName; detail: string } | undefined {
  const tokens =
    s.usage.input_tokens + s.usage.output_tokens + s.usage.cache_read_tokens + s.usage.cache_write_tokens;
  if (limits.turns !== undefined && s.turns >= limits.turns)
    return { limit: "turns", detail: `${s.turns} of ${limits.turns} turns used` };
  if (limits.tokens !== undefined && tokens >= limits.tokens)
    return { limit: "tokens", detail: `${tokens} tokens used, limit ${limits.tokens}` };
  if (limits.budget_usd !== undefined && s.cost_usd >= limits.budget_usd)
    return { limit: "budget_usd", detail: `$${s.cost_usd.toFixed(4)} spent, budget $${limits.budget_usd}` };
  if (limits.wall_clock_ms !== undefined && s.elapsed_ms >= limits.wall_clock_ms)
    return {
      limit: "wall_clock",
      detail: `${Math.round(s.elapsed_ms / 1000)} s elapsed, limit ${Math.round(limits.wall_clock_ms / 1000)} s`,
    };
  return undefined;
}

/** A turn may not produce more output than the token limit has left (at least 1, at most `perTurn`). */
export function maxTokensFor(limit: number | undefined, used: Usage, perTurn: number): number {
  if (limit === undefined) return perTurn;
  const spent = used.input_tokens + used.output_tokens + used.cache_read_tokens + used.cache_write_tokens;
  return Math.max(1, Math.min(perTurn, limit - spent));
}
