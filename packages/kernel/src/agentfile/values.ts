import type { AgentLimits, ModelRef, ProviderKind } from "./types.js";

const PROVIDER_ALIASES: Record<string, ProviderKind> = {
  anthropic: "anthropic",
  claude: "anthropic",
  openai: "openai",
  "openai-chat": "openai",
  "openai-responses": "openai-responses",
  "openai-compatible": "openai-compatible",
  local: "openai-compatible",
  ollama: "openai-compatible",
  llamacpp: "openai-compatible",
  "llama.cpp": "openai-compatible",
  vllm: "openai-compatible",
};

export const PROVIDER_NAMES = Object.keys(PROVIDER_ALIASES);

/** `anthropic/claude-sonnet-4-6`, `openai/gpt-4.1`, `ollama/qwen2.5-coder`, `auto`, or a bare model name. */
export function parseModelRef(raw: string): ModelRef | { error: string } {
  const text = raw.trim();
  if (text === "")
    return { error: "expected a model after FROM, e.g. FROM anthropic/claude-sonnet-4-6 or FROM auto" };
  if (/\s/.test(text)) return { error: `expected one model reference, found "${text}"` };
  if (text === "auto") return { provider: "auto", model: "auto", raw: text };
  const slash = text.indexOf("/");
  if (slash < 0) {
    const inferred = inferProvider(text);
    if (!inferred)
      return {
        error: `cannot tell the provider of "${text}"; write <provider>/<model>, provider one of ${PROVIDER_NAMES.join(", ")}`,
      };
    return { provider: inferred, model: text, raw: text };
  }
  const provider = PROVIDER_ALIASES[text.slice(0, slash).toLowerCase()];
  const model = text.slice(slash + 1);
  if (!provider)
    return {
      error: `unknown provider "${text.slice(0, slash)}"; expected one of ${PROVIDER_NAMES.join(", ")}`,
    };
  if (model === "") return { error: `expected a model name after "${text.slice(0, slash + 1)}"` };
  return { provider, model, raw: text };
}

function inferProvider(model: string): ProviderKind | undefined {
  if (/^claude/i.test(model)) return "anthropic";
  if (/^(gpt|o\d|chatgpt|codex)/i.test(model)) return "openai";
  return undefined;
}

export const LIMIT_KEYS = ["budget_usd", "turns", "tokens", "wall_clock"] as const;

/** Parses `LIMIT <key> <value>` into the limits object; returns an error message on bad input. */
export function applyLimit(limits: AgentLimits, key: string, value: string): string | undefined {
  switch (key) {
    case "budget_usd": {
      const v = Number(value.replace(/^\$/, ""));
      if (!Number.isFinite(v) || v <= 0 || value === "")
        return `expected a positive amount in USD, e.g. LIMIT budget_usd 2.50, found "${value}"`;
      limits.budget_usd = v;
      return;
    }
    case "turns": {
      if (!/^[1-9][0-9]*$/.test(value)) return `expected a positive whole number of turns, found "${value}"`;
      limits.turns = Number(value);
      return;
    }
    case "tokens": {
      const m = /^([0-9]+(?:\.[0-9]+)?)([kKmM]?)$/.exec(value.replace(/_/g, ""));
      if (!m) return `expected a token count such as 200000, 200k or 1.5M, found "${value}"`;
      const mult = m[2].toLowerCase() === "k" ? 1e3 : m[2].toLowerCase() === "m" ? 1e6 : 1;
      const n = Math.round(Number(m[1]) * mult);
      if (n <= 0) return "expected a positive token count";
      limits.tokens = n;
      return;
    }
    case "wall_clock": {
      const ms = parseDuration(value);
      if (ms === undefined)
        return `expected a duration such as 90s, 30m, 1h30m or a number of seconds, found "${value}"`;
      limits.wall_clock_ms = ms;
      return;
    }
    default:
      return `unknown limit "${key}"; expected one of ${LIMIT_KEYS.join(", ")}`;
  }
}

/** `90`, `90s`, `1500ms`, `30m`, `1h30m` → milliseconds. */
export function parseDuration(value: string): number | undefined {
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value) * 1000;
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    total += Number(m[1]) * unit;
    consumed = re.lastIndex;
  }
  if (consumed !== value.length || consumed === 0 || total <= 0) return undefined;
  return total;
}
