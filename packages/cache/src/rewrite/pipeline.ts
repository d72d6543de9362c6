import { type CacheConfig, type CacheMode, minTokensFor } from "../config";
import type { Route } from "../response-cache/cache-key";
import type { Json } from "../wire/anthropic";
import { addPromptCacheKey, type BreakpointResult, placeBreakpoints } from "./breakpoints";
import { type RebuildResult, rebuildHistory } from "./rebuild";
import { applySoftCap, type SoftCapResult } from "./soft-cap";
import { type StripResult, stripVolatile } from "./strip-volatile";

export interface RewriteReport {
  changed: boolean;
  stripped?: StripResult;
  rebuild?: RebuildResult;
  softCap?: SoftCapResult;
  breakpoints?: BreakpointResult;
}

/**
 * Stage 1 (before the response-cache key): strip volatile tokens, rebuild history, soft cap.
 * Passthrough changes nothing. Mutates `body`.
 */
export async function rewriteBody(
  body: Json,
  route: Route,
  mode: CacheMode,
  config: CacheConfig,
  projection?: (body: Json) => Promise<string | undefined>,
  rawBytes = Number.POSITIVE_INFINITY,
): Promise<RewriteReport> {
  const report: RewriteReport = { changed: false };
  if (mode === "passthrough") return report;
  if (route === "anthropic-messages") {
    report.stripped = stripVolatile(body, { keepFirstMessage: config.keepFirstMessageReminders });
    if (report.stripped.cch || report.stripped.reminders) report.changed = true;
    if (
      (mode === "rebuild" || mode === "rebuild-kernel") &&
      (body.messages?.length ?? 0) > config.rebuildAfterMessages
    ) {
      const fromKernel = mode === "rebuild-kernel" && projection ? await projection(body) : undefined;
      report.rebuild = rebuildHistory(body, {
        minMessages: config.rebuildAfterMessages,
        projection: fromKernel,
      });
      if (report.rebuild.replacedMessages) report.changed = true;
    }
  }
  // The body only shrinks above, so a raw size under the cap needs no measuring.
  if (rawBytes > config.softCapBytes) report.softCap = applySoftCap(body, config.softCapBytes);
  if (report.softCap && (report.softCap.A || report.softCap.B || report.softCap.C)) report.changed = true;
  return report;
}

// The per-model minimum, memoised per config and model (the table is regexes, compiled on each lookup).
const minTokensMemo = new WeakMap<CacheConfig, Map<string, number>>();

function minTokens(config: CacheConfig, model: string): number {
  let byModel = minTokensMemo.get(config);
  if (!byModel) {
    byModel = new Map();
    minTokensMemo.set(config, byModel);
  }
  let n = byModel.get(model);
  if (n === undefined) {
    n = minTokensFor(config, model);
    if (byModel.size < 256) byModel.set(model, n);
  }
  return n;
}

/** Stage 2 (after the key, before enrichment): cache breakpoints / prompt_cache_key. Mutates `body`. */
export function placeCacheHints(
  body: Json,
  route: Route,
  mode: CacheMode,
  config: CacheConfig,
  promptCacheKey: string,
  report: RewriteReport,
): void {
  if (mode === "passthrough") return;
  if (route === "anthropic-messages") {
    const { client, final, changed } = placeBreakpoints(body, {
      minTokens: minTokens(config, String(body.model ?? "")),
      staticTtl: config.staticTtl,
    });
    report.breakpoints = { client, final };
    // Untouched bodies go out as the client's own bytes (no re-serialisation).
    if (changed) report.changed = true;
  } else if (addPromptCacheKey(body, promptCacheKey)) report.changed = true;
}
