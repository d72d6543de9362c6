import type { Json } from "./anthropic";

/** One cacheable position of an Anthropic request, in prefix order (tools → system → messages). */
export interface CacheBlock {
  section: "tools" | "system" | "messages";
  /** Index of the message (messages section) or tool/system block. */
  index: number;
  /** Index of the content block inside the message (messages section). */
  blockIndex: number;
  /** The block object itself (undefined when the content is a plain string). */
  block: Json;
  /** Approximate serialised length without `cache_control` (for token estimates). */
  size: number;
  /** The block without `cache_control`, as the provider hashes it (only with `{canonical: true}`). */
  canonical: string;
  cacheControl: { type: string; ttl?: string } | undefined;
}

/** A cheap stand-in for `JSON.stringify(v).length`: string lengths plus structure, no allocation. */
export function approxJsonLength(v: Json): number {
  if (typeof v === "string") return v.length + 2;
  if (v === null || typeof v !== "object") return String(v).length;
  let n = 2;
  if (Array.isArray(v)) {
    for (const x of v) n += approxJsonLength(x) + 1;
    return n;
  }
  for (const k in v) {
    if (k === "cache_control" || v[k] === undefined) continue;
    n += k.length + 4 + approxJsonLength(v[k]);
  }
  return n;
}

/**
 * Lists the request's cacheable blocks in the order the provider builds its prefix. A string
 * `system` or message `content` counts as one text block (the provider normalises it the same way).
 */
export function cacheBlocks(body: Json, opts: { canonical?: boolean } = {}): CacheBlock[] {
  const out: CacheBlock[] = [];
  const push = (
    section: CacheBlock["section"],
    index: number,
    blockIndex: number,
    block: Json,
    prefix = "",
  ) => {
    const asBlock = typeof block === "string" ? { type: "text", text: block } : (block ?? {});
    const { cache_control, ...rest } = asBlock;
    out.push({
      section,
      index,
      blockIndex,
      block: typeof block === "string" ? undefined : block,
      size: prefix.length + approxJsonLength(asBlock),
      canonical: opts.canonical ? prefix + JSON.stringify(rest) : "",
      cacheControl: typeof block === "string" ? undefined : cache_control,
    });
  };
  const tools: Json[] = Array.isArray(body?.tools) ? body.tools : [];
  tools.forEach((t, i) => {
    push("tools", i, 0, t);
  });
  if (typeof body?.system === "string") push("system", 0, 0, body.system);
  else if (Array.isArray(body?.system))
    body.system.forEach((b: Json, i: number) => {
      push("system", i, 0, b);
    });
  const messages: Json[] = Array.isArray(body?.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    const role = JSON.stringify(m?.role ?? "");
    if (typeof m?.content === "string") push("messages", i, 0, m.content, role);
    else if (Array.isArray(m?.content))
      m.content.forEach((b: Json, j: number) => {
        push("messages", i, j, b, role);
      });
  });
  return out;
}
