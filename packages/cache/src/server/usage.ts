import type { TokenCounts } from "@ostk/lib";
import type { Route } from "../response-cache/cache-key";
import type { Json } from "../wire/anthropic";

/** Token counts of a final response body, normalised across providers (cached tokens split out). */
export function tokenCounts(route: Route, body: Json): TokenCounts {
  const u = body?.usage ?? {};
  if (route === "anthropic-messages") {
    const c = u.cache_creation;
    const write = u.cache_creation_input_tokens ?? 0;
    return {
      input: u.input_tokens ?? 0,
      cacheRead: u.cache_read_input_tokens ?? 0,
      cacheWrite5m: c ? (c.ephemeral_5m_input_tokens ?? 0) : write,
      cacheWrite1h: c ? (c.ephemeral_1h_input_tokens ?? 0) : 0,
      output: u.output_tokens ?? 0,
    };
  }
  const prompt = route === "openai-chat" ? (u.prompt_tokens ?? 0) : (u.input_tokens ?? 0);
  const cached =
    route === "openai-chat"
      ? (u.prompt_tokens_details?.cached_tokens ?? 0)
      : (u.input_tokens_details?.cached_tokens ?? 0);
  const output = route === "openai-chat" ? (u.completion_tokens ?? 0) : (u.output_tokens ?? 0);
  return { input: prompt - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output };
}
