/**
 * Model prices and the cost of one request's tokens: one table for every layer
 * (the cache's ledger and the orchestrator's budgets must agree on a dollar).
 */

/** USD per million tokens. `cachedInput` is the OpenAI cached-input price; Anthropic uses multipliers. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

export type PriceTable = [RegExp, ModelPrice][];

/** Published list prices (USD / MTok); first matching pattern wins. */
export const PRICES: PriceTable = [
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

export function priceFor(model: string, table: PriceTable = PRICES): ModelPrice | undefined {
  for (const [re, p] of table) if (re.test(model)) return p;
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

export interface RequestCost {
  /** Billed USD. */
  cost: number;
  /** USD the same tokens would have cost with no prompt caching. */
  uncached: number;
  inputCost: number;
  inputUncached: number;
}

/**
 * Billed cost and the cost the same tokens would have had with no caching. Anthropic: writes 1.25×
 * (5 min) or 2× (1 h), reads 0.1×. OpenAI and compatible servers: cached input at its listed price.
 * `undefined` when the model has no price.
 */
export function costOf(
  provider: string,
  model: string,
  t: TokenCounts,
  table: PriceTable = PRICES,
): RequestCost | undefined {
  const p = priceFor(model, table);
  if (!p) return undefined;
  const m = 1e-6;
  const anthropic = provider === "anthropic";
  const readPrice = anthropic ? p.input * 0.1 : (p.cachedInput ?? p.input);
  const inputCost =
    (t.input * p.input +
      t.cacheRead * readPrice +
      t.cacheWrite5m * p.input * (anthropic ? 1.25 : 1) +
      t.cacheWrite1h * p.input * (anthropic ? 2 : 1)) *
    m;
  const inputUncached = (t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h) * p.input * m;
  const out = t.output * p.output * m;
  return { cost: inputCost + out, uncached: inputUncached + out, inputCost, inputUncached };
}
