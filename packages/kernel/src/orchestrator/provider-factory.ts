import { OstkError } from "@ostk/lib";
import type { ModelRef } from "../agentfile/types.js";
import type { ModelProvider } from "./model-types.js";
import { AnthropicProvider } from "./provider-anthropic.js";
import { OpenAIChatProvider, OpenAIResponsesProvider } from "./provider-openai.js";

export interface ProviderConfig {
  /**
   * Base URL of an `@ostk/cache` proxy (e.g. `http://127.0.0.1:8080`). When
   * set, every model call goes through it, so caching, the ledger and the
   * soft cap apply; the proxy's own config names the real upstreams.
   * Defaults to `OSTK_CACHE_URL`.
   */
  cacheUrl?: string;
  env?: Record<string, string | undefined>;
  maxRetries?: number;
  timeoutMs?: number;
}

const DEFAULT_MODELS = { anthropic: "claude-sonnet-4-6", openai: "gpt-4.1" };

export interface ResolvedProvider {
  provider: ModelProvider;
  /** Where requests go (the cache proxy or the provider itself). */
  baseURL: string;
  viaCache: boolean;
}

/** Builds the provider for a FROM line. Only this function looks at which provider it is. */
export function createProvider(ref: ModelRef, cfg: ProviderConfig = {}): ResolvedProvider {
  const env = cfg.env ?? process.env;
  const cacheUrl = (cfg.cacheUrl ?? env.OSTK_CACHE_URL)?.replace(/\/+$/, "");
  let kind = ref.provider;
  let model = ref.model;
  if (kind === "auto") {
    if (env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN) kind = "anthropic";
    else if (env.OPENAI_API_KEY) kind = "openai";
    else
      throw new OstkError(
        "no-credentials",
        "FROM auto found neither ANTHROPIC_API_KEY nor OPENAI_API_KEY; set one, or name a provider in FROM",
      );
    model = env.OSTK_MODEL ?? DEFAULT_MODELS[kind];
  }
  const common = { maxRetries: cfg.maxRetries, timeoutMs: cfg.timeoutMs, model };
  if (kind === "anthropic") {
    const apiKey = env.ANTHROPIC_API_KEY ?? env.ANTHROPIC_AUTH_TOKEN;
    if (!apiKey)
      throw new OstkError("no-credentials", `FROM ${ref.raw} needs ANTHROPIC_API_KEY (nothing was sent)`);
    const baseURL = cacheUrl ?? env.ANTHROPIC_BASE_URL?.replace(/\/+$/, "") ?? "https://api.anthropic.com";
    return { provider: new AnthropicProvider({ ...common, apiKey, baseURL }), baseURL, viaCache: !!cacheUrl };
  }
  const local = kind === "openai-compatible";
  const apiKey = env.OPENAI_API_KEY ?? (local ? "local" : undefined);
  if (!apiKey)
    throw new OstkError("no-credentials", `FROM ${ref.raw} needs OPENAI_API_KEY (nothing was sent)`);
  const direct = local
    ? (env.OSTK_LOCAL_BASE_URL ?? env.OPENAI_BASE_URL ?? "http://127.0.0.1:11434/v1")
    : (env.OPENAI_BASE_URL ?? "https://api.openai.com/v1");
  const baseURL = cacheUrl ? `${cacheUrl}/v1` : direct.replace(/\/+$/, "");
  const opts = { ...common, apiKey, baseURL };
  const provider =
    kind === "openai-responses"
      ? new OpenAIResponsesProvider(opts)
      : new OpenAIChatProvider(opts, local ? "openai-compatible" : "openai");
  return { provider, baseURL, viaCache: !!cacheUrl };
}
