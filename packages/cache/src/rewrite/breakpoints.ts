import type { Json } from "../wire/anthropic";
import { type CacheBlock, cacheBlocks } from "../wire/cache-blocks";
import { firstReminderBlock } from "./strip-volatile";

export interface BreakpointResult {
  /** Breakpoints the client sent (top-level automatic caching counts as one). */
  client: number;
  /** Breakpoints in the forwarded body. */
  final: number;
}

type Ttl = "5m" | "1h";
interface Plan {
  at: number;
  ttl: Ttl;
  priority: number;
}

const MAX_BREAKPOINTS = 4;
const UNCACHEABLE = new Set(["thinking", "redacted_thinking"]);

function cacheable(b: CacheBlock): boolean {
  if (b.block === undefined) return true;
  if (UNCACHEABLE.has(b.block.type)) return false;
  return !(b.block.type === "text" && b.block.text === "");
}

/** The nearest block at or before `i` that may carry cache_control, staying in the same message. */
function eligible(blocks: CacheBlock[], i: number): number {
  for (let j = i; j >= 0; j--) {
    if (blocks[j].section !== blocks[i].section || blocks[j].index !== blocks[i].index) break;
    if (cacheable(blocks[j])) return j;
  }
  return -1;
}

/**
 * Places `cache_control` breakpoints so the longest stable prefix is cached: end of tools and end of
 * system (static TTL, 1 h by default), the end of the previous request (so the next turn reads it
 * whatever the number of new blocks) and the newest message (5 min), stopping before the newest
 * message's `<system-reminder>` so the prefix survives its removal next turn. The client's own
 * breakpoints are kept when the budget allows (4, minus one for top-level automatic caching), the
 * weakest are moved otherwise; prefixes shorter than `minTokens` are not marked; no 1-hour entry
 * follows a 5-minute one. Content is never reordered or changed. Mutates `body`.
 */
export function placeBreakpoints(
  body: Json,
  opts: { minTokens: number; staticTtl: Ttl },
): BreakpointResult & { changed: boolean } {
  const blocks = cacheBlocks(body);
  const topLevel = body.cache_control ? 1 : 0;
  const clientAt = blocks.flatMap((b, i) => (b.cacheControl ? [i] : []));
  const client = clientAt.length + topLevel;
  if (blocks.length === 0) return { client, final: client, changed: false };
  const cum: number[] = [];
  let total = 0;
  for (const b of blocks) {
    total += Math.ceil(b.size / 4);
    cum.push(total);
  }

  const lastOf = (pred: (b: CacheBlock) => boolean) => {
    for (let i = blocks.length - 1; i >= 0; i--) if (pred(blocks[i])) return i;
    return -1;
  };
  const messages: Json[] = Array.isArray(body.messages) ? body.messages : [];
  const wanted: Plan[] = [];
  const want = (at: number, ttl: Ttl, priority: number) => {
    if (at >= 0 && cum[at] >= opts.minTokens && !wanted.some((p) => p.at === at))
      wanted.push({ at, ttl, priority });
  };
  const lastMsg = messages.length - 1;
  if (lastMsg >= 0 && !topLevel) {
    const reminder = firstReminderBlock(messages[lastMsg]);
    const stop =
      reminder > 0
        ? lastOf((b) => b.section === "messages" && b.index === lastMsg && b.blockIndex === reminder - 1)
        : reminder === 0
          ? lastOf((b) => b.section === "messages" && b.index < lastMsg)
          : blocks.length - 1;
    if (stop >= 0) want(eligible(blocks, stop), "5m", 4);
  }
  const sysEnd = lastOf((b) => b.section === "system");
  want(sysEnd >= 0 ? eligible(blocks, sysEnd) : -1, opts.staticTtl, 3);
  // End of the previous request: the last message before the newest assistant turn.
  let prevUser = -1;
  for (let i = lastMsg - 1; i >= 0; i--)
    if (messages[i]?.role === "assistant") {
      prevUser = i - 1;
      break;
    }
  if (prevUser >= 0) {
    const reminder = firstReminderBlock(messages[prevUser]);
    const end =
      reminder > 0
        ? lastOf((b) => b.section === "messages" && b.index === prevUser && b.blockIndex === reminder - 1)
        : lastOf((b) => b.section === "messages" && b.index === prevUser);
    if (end >= 0) want(eligible(blocks, end), "5m", 2);
  }
  const toolsEnd = lastOf((b) => b.section === "tools");
  want(toolsEnd, opts.staticTtl, 1);

  const budget = MAX_BREAKPOINTS - topLevel;
  // Start from the client's own, then add ours, then trim to the budget.
  const final = new Map<number, { ttl: Ttl; priority: number; mine: boolean }>();
  for (const at of clientAt) {
    const ttl: Ttl = blocks[at].cacheControl?.ttl === "1h" ? "1h" : "5m";
    final.set(at, { ttl, priority: cum[at] >= opts.minTokens ? 0.5 : -1, mine: false });
  }
  for (const p of wanted) {
    const existing = final.get(p.at);
    final.set(p.at, { ttl: existing?.ttl === "1h" ? "1h" : p.ttl, priority: p.priority, mine: true });
  }
  while (final.size > budget) {
    let drop = -1;
    let score = Number.POSITIVE_INFINITY;
    const positions = [...final.keys()].sort((a, b) => a - b);
    positions.forEach((at, k) => {
      const e = final.get(at)!;
      // Lowest priority first; among equals, the one closest (in tokens) to the next breakpoint.
      const gap = k + 1 < positions.length ? cum[positions[k + 1]] - cum[at] : 0;
      const s = e.priority * 1e12 + gap;
      if (s < score) {
        score = s;
        drop = at;
      }
    });
    final.delete(drop);
  }
  // No 1-hour breakpoint may follow a 5-minute one: upgrade earlier ones.
  const ordered = [...final.keys()].sort((a, b) => a - b);
  let longer = body.cache_control?.ttl === "1h";
  for (let k = ordered.length - 1; k >= 0; k--) {
    const e = final.get(ordered[k])!;
    if (longer) e.ttl = "1h";
    if (e.ttl === "1h") longer = true;
  }
  const changed = applyMarks(body, blocks, final);
  return { client, final: final.size + topLevel, changed };
}

/** Sets the marks; true when the body changed (a mark added, replaced or removed). */
function applyMarks(
  body: Json,
  blocks: CacheBlock[],
  final: Map<number, { ttl: Ttl; mine: boolean }>,
): boolean {
  let changed = false;
  blocks.forEach((b, i) => {
    const mark = final.get(i);
    if (!mark) {
      if (b.block?.cache_control) {
        delete b.block.cache_control;
        changed = true;
      }
      return;
    }
    const cc = mark.ttl === "1h" ? { type: "ephemeral", ttl: "1h" } : { type: "ephemeral" };
    if (b.block) {
      const keep = b.block.cache_control && !mark.mine && b.block.cache_control.ttl === mark.ttl;
      if (!keep) {
        b.block.cache_control = cc;
        changed = true;
      }
      return;
    }
    changed = true;
    // A plain string becomes one text block so it can carry the mark (same prefix for the provider).
    if (b.section === "system") body.system = [{ type: "text", text: body.system, cache_control: cc }];
    else {
      const m = body.messages[b.index];
      m.content = [{ type: "text", text: m.content, cache_control: cc }];
    }
  });
  return changed;
}

/** A stable OpenAI `prompt_cache_key` for the workspace, unless the client set one. */
export function addPromptCacheKey(body: Json, key: string): boolean {
  if (body.prompt_cache_key !== undefined) return false;
  body.prompt_cache_key = key;
  return true;
}
