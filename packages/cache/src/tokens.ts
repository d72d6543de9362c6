/**
 * Token estimate used by the proxy (breakpoint placement, enrich budget) and by the fake upstream:
 * about four characters of serialised JSON per token. Deterministic, no tokenizer download.
 */
export function estimateTokens(value: unknown): number {
  const s = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return Math.max(1, Math.ceil(s.length / 4));
}
