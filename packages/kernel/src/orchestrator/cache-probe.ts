/** The port `npx @ostk/cache` and ostkd listen on by default. */
export const DEFAULT_CACHE_URL = "http://127.0.0.1:8080";

/**
 * Is an `@ostk/cache` proxy answering at `url`? (`GET /healthz` → `{ ok: true, mode }`.)
 * Used by `ostk run` to send model calls through a running cache when nothing says otherwise.
 */
export async function probeCache(url: string, timeoutMs = 300): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, "")}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { ok?: unknown; mode?: unknown };
    return body.ok === true && typeof body.mode === "string";
  } catch {
    return false;
  }
}
