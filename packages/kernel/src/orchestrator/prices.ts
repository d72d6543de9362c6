import type { Usage } from "./model-types.js";

/** USD per million tokens. Anthropic cache reads cost 0.1× input and writes 1.25×; OpenAI has a cached-input price. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

/**
 * Published list prices, first match wins. The same table as @ostk/cache's
 * ledger (the kernel may not import the cache layer); override per run with
 * `prices` when a model is missing.
 */
export const DEFAULT_PRICES: [RegExp, ModelPrice][] = [
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

export function priceFor(
  model: string,
  table: [RegExp, ModelPrice][] = DEFAULT_PRICES,
): ModelPrice | undefined {
  for (const [re, p] of table) if (re.test(model)) return p;
  return undefined;
}

/** Cost in USD of one call's usage; `undefined` when the model has no price (budgets then cannot be enforced). */
export function costOf(
  provider: string,
  model: string,
  u: Usage,
  table?: [RegExp, ModelPrice][],
): number | undefined {
  const p = priceFor(model, table);
  if (!p) return undefined;
  const anthropic = provider === "anthropic";
  const read = p.cachedInput ?? (anthropic ? p.input * 0.1 : p.input);
  const write = p.cacheWrite ?? (anthropic ? p.input * 1.25 : p.input);
  return (
    (u.input_tokens * p.input +
      u.cache_read_tokens * read +
      u.cache_write_tokens * write +
      u.output_tokens * p.output) /
    1e6
  );
}
