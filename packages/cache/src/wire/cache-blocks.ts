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
  /** The block without `cache_control`, as the provider hashes it. */
  canonical: string;
  cacheControl: { type: string; ttl?: string } | undefined;
}

/**
 * Lists the request's cacheable blocks in the order the provider builds its prefix. A string
 * `system` or message `content` counts as one text block (the provider normalises it the same way).
 */
/** Lists the request's cacheable blocks in the order the provider builds its prefix. */
export function cacheBlocks(body: Json): CacheBlock[] {
  const out: CacheBlock[] = [];
  const push = (section: CacheBlock["section"], index: number, blockIndex: number, block: Json) => {
    if (typeof block === "string") {
      out.push({
        section,
        index,
        blockIndex,
        block: undefined,
        canonical: JSON.stringify(block),
        cacheControl: undefined,
      });
      return;
    }
    const { cache_control, ...rest } = block ?? {};
    out.push({
      section,
      index,
      blockIndex,
      block,
      canonical: JSON.stringify(rest),
      cacheControl: cache_control,
    });
  };
  (Array.isArray(body?.tools) ? body.tools : []).forEach((t: Json, i: number) => {
    push("tools", i, 0, t);
  });
  if (typeof body?.system === "string") push("system", 0, 0, body.system);
  else if (Array.isArray(body?.system))
    body.system.forEach((b: Json, i: number) => {
      push("system", i, 0, b);
    });
  (Array.isArray(body?.messages) ? body.messages : []).forEach((m: Json, i: number) => {
    const role = JSON.stringify(m?.role ?? "");
    if (typeof m?.content === "string") {
      out.push({
        section: "messages",
        index: i,
        blockIndex: 0,
        block: undefined,
        canonical: role + JSON.stringify({ type: "text", text: m.content }),
        cacheControl: undefined,
      });
    } else if (Array.isArray(m?.content)) {
      m.content.forEach((b: Json, j: number) => {
        push("messages", i, j, b);
        out[out.length - 1].canonical = role + out[out.length - 1].canonical;
      });
    }
  });
  return out;
}
