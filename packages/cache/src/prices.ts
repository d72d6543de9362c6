/** USD per million tokens. `cachedInput` is the OpenAI cached-input price; Anthropic uses multipliers. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

/** Published list prices (USD / MTok); first matching pattern wins. */
export const PRICES: [RegExp, ModelPrice][] = [
  [/opus-4-[5-9]/, { input: 5, output: 25 }],
  [/opus/, { input: 15, output: 75 }],
  [/sonnet/, { input: 3, output: 15 }],
  [/haiku-4/, { input: 1, output: 5 }],
  [/haiku/, { input: 0.8, output: 4 }],
  [/gpt-5.*mini/, { input: 0.25, output: 2, cachedInput: 0.025 }],
  [/gpt-5/, { input: 1.25, output: 10, cachedInput: 0.125 }],
  [/gpt-4\.1-mini/, { input: 0.4, output: 1.6, cachedInput: 0.1 }],
  [/gpt-4\.1/, { input: 2, output: 8, cachedInput: 0.5 }],
  [/gpt-4o-mini/, { input: 0.15, output: 0.6, cachedInput: 0.075 }],
  [/gpt-4o/, { input: 2.5, output: 10, cachedInput: 1.25 }],
  [/^o\d/, { input: 2, output: 8, cachedInput: 0.5 }],
];

export function priceFor(model: string): ModelPrice | undefined {
  for (const [re, p] of PRICES) if (re.test(model)) return p;
  return undefined;
}

/** Tokens of one request as billed. */
export interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
}

/**
 * Billed cost and the cost the same tokens would have had with no caching. Anthropic: writes 1.25×
 * (5 min) or 2× (1 h), reads 0.1×. OpenAI: cached input at its listed price.
 */
export function costOf(
  provider: "anthropic" | "openai",
  model: string,
  t: TokenCounts,
): { cost: number; uncached: number; inputCost: number; inputUncached: number } | undefined {
  const p = priceFor(model);
  if (!p) return undefined;
  const m = 1e-6;
  const readPrice = provider === "openai" ? (p.cachedInput ?? p.input) : p.input * 0.1;
  const inputCost =
    (t.input * p.input +
      t.cacheRead * readPrice +
      t.cacheWrite5m * p.input * 1.25 +
      t.cacheWrite1h * p.input * 2) *
    m;
  const inputUncached = (t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h) * p.input * m;
  const out = t.output * p.output * m;
  return { cost: inputCost + out, uncached: inputUncached + out, inputCost, inputUncached };
}
