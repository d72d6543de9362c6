import { createHash } from "node:crypto";
import { estimateTokens } from "../tokens";
import type { Json } from "../wire/anthropic";
import { cacheBlocks } from "../wire/cache-blocks";

/** Published minimum cacheable prompt lengths (tokens) by model family. */
export function anthropicMinCacheTokens(model: string): number {
  if (/opus-4-5|haiku-4-5/.test(model)) return 4096;
  if (/haiku-3|3-5-haiku|3-haiku/.test(model)) return 2048;
  return 1024;
}

const LOOKBACK = 20;
const TTL_MS = { "5m": 5 * 60_000, "1h": 60 * 60_000 } as const;

export interface SimulatedAnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/**
 * Anthropic's prompt cache, by its published rules: the prefix (tools → system → messages) is
 * written at each `cache_control` breakpoint (max 4, top-level automatic caching counts as one,
 * 1-hour entries must precede 5-minute ones), a request reads the longest cached prefix found at a
 * breakpoint or up to 20 blocks before it, prefixes shorter than the model's minimum are not
 * cached, entries live 5 minutes or 1 hour and a hit refreshes them. Caches are per API key.
 */
export class AnthropicCacheSimulator {
  private entries = new Map<string, { expires: number; ttl: number }>();
  constructor(private readonly opts: { now?: () => number; minTokens?: (model: string) => number } = {}) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Usage for a request, or an error message when the request breaks the caching rules. */
  process(apiKey: string, body: Json): { usage: SimulatedAnthropicUsage } | { error: string } {
    const blocks = cacheBlocks(body, { canonical: true });
    const model = String(body?.model ?? "");
    const min = (this.opts.minTokens ?? anthropicMinCacheTokens)(model);
    const cum: number[] = [];
    const hashes: string[] = [];
    const h = createHash("sha256").update(`${apiKey}\0${model}`);
    let total = 0;
    for (const b of blocks) {
      total += estimateTokens(b.canonical);
      cum.push(total);
      h.update(b.canonical);
      hashes.push(h.copy().digest("hex"));
    }
    const bps: { at: number; ttl: "5m" | "1h" }[] = [];
    blocks.forEach((b, i) => {
      if (b.cacheControl) bps.push({ at: i, ttl: b.cacheControl.ttl === "1h" ? "1h" : "5m" });
    });
    if (body?.cache_control && blocks.length > 0) {
      bps.push({ at: blocks.length - 1, ttl: body.cache_control.ttl === "1h" ? "1h" : "5m" });
    }
    if (bps.length > 4)
      return { error: `A maximum of 4 blocks with cache_control may be provided. Found ${bps.length}.` };
    let seen5m = false;
    for (const bp of bps) {
      if (bp.ttl === "5m") seen5m = true;
      else if (seen5m)
        return { error: "cache_control with ttl '1h' must come before any cache_control with ttl '5m'." };
    }
    const now = this.now();
    let readEnd = -1;
    for (const bp of bps) {
      for (let j = bp.at; j >= Math.max(0, bp.at - LOOKBACK); j--) {
        const e = this.entries.get(hashes[j]);
        if (e && e.expires > now) {
          if (j > readEnd) readEnd = j;
          break;
        }
      }
    }
    const read = readEnd >= 0 ? cum[readEnd] : 0;
    if (readEnd >= 0) {
      const e = this.entries.get(hashes[readEnd])!;
      e.expires = now + e.ttl;
    }
    let written = read;
    const creation = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
    for (const bp of [...bps].sort((a, b) => a.at - b.at)) {
      if (bp.at <= readEnd || cum[bp.at] < min) continue;
      const ttl = TTL_MS[bp.ttl];
      const existing = this.entries.get(hashes[bp.at]);
      if (!existing || existing.expires <= now || existing.ttl < ttl)
        this.entries.set(hashes[bp.at], { expires: now + ttl, ttl });
      const tokens = cum[bp.at] - written;
      if (tokens > 0) {
        if (bp.ttl === "1h") creation.ephemeral_1h_input_tokens += tokens;
        else creation.ephemeral_5m_input_tokens += tokens;
        written = cum[bp.at];
      }
    }
    const create = creation.ephemeral_5m_input_tokens + creation.ephemeral_1h_input_tokens;
    return {
      usage: {
        input_tokens: total - read - create,
        cache_creation_input_tokens: create,
        cache_read_input_tokens: read,
        cache_creation: creation,
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }
}

const OPENAI_GRAIN_CHARS = 512; // 128 tokens

/**
 * OpenAI's automatic prompt caching: prompts of 1024 tokens or more reuse the longest previously
 * seen prefix in 128-token steps, scoped by API key, model and `prompt_cache_key`.
 */
export class OpenAiCacheSimulator {
  private seen = new Map<string, number>();
  constructor(private readonly opts: { now?: () => number; ttlMs?: number } = {}) {}

  process(apiKey: string, body: Json): { total: number; cached: number } {
    const { model, prompt_cache_key, tools, instructions, messages, input } = body ?? {};
    const text = JSON.stringify([tools ?? null, instructions ?? null, messages ?? input ?? null]);
    const total = estimateTokens(text);
    const now = this.opts.now?.() ?? Date.now();
    const ttl = this.opts.ttlMs ?? 10 * 60_000;
    const h = createHash("sha256").update(`${apiKey}\0${model}\0${prompt_cache_key ?? ""}`);
    let cached = 0;
    for (let end = OPENAI_GRAIN_CHARS; end <= text.length; end += OPENAI_GRAIN_CHARS) {
      h.update(text.slice(end - OPENAI_GRAIN_CHARS, end));
      const key = h.copy().digest("hex");
      const tokens = end / 4;
      if (tokens >= 1024) {
        const exp = this.seen.get(key);
        if (exp !== undefined && exp > now) cached = tokens;
        this.seen.set(key, now + ttl);
      }
    }
    return { total, cached };
  }

  clear(): void {
    this.seen.clear();
  }
}
