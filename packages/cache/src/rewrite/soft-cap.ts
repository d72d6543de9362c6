import type { Json } from "../wire/anthropic";

export interface SoftCapResult {
  /** Tool results replaced by a stub (tier A). */
  A: number;
  /** Oldest tool_use/tool_result pairs dropped (tier B). */
  B: number;
  /** Unused tool definitions dropped (tier C). */
  C: number;
  bytesBefore: number;
  bytesAfter: number;
  fits: boolean;
}

const STUB_MIN = 100 * 1024;
const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** The tool_result blocks (Anthropic) and tool messages (OpenAI chat) of a body, with their sizes. */
function toolResults(body: Json): { holder: Json; key: string; id: string; bytes: number }[] {
  const out: { holder: Json; key: string; id: string; bytes: number }[] = [];
  for (const m of body.messages ?? []) {
    if (m?.role === "tool" && m.content !== undefined)
      out.push({ holder: m, key: "content", id: m.tool_call_id, bytes: size(m.content) });
    if (!Array.isArray(m?.content)) continue;
    for (const b of m.content)
      if (b?.type === "tool_result")
        out.push({ holder: b, key: "content", id: b.tool_use_id, bytes: size(b.content ?? "") });
  }
  return out;
}

/**
 * Shrinks a body over `capBytes`, in order until it fits: A) tool results of 100 KiB or more,
 * largest first, become a short stub that keeps `tool_use_id`; B) the oldest tool_use/tool_result
 * pairs are dropped (never from the first message, never the newest pair); C) tool definitions no
 * message uses are dropped. `fits: false` means tier D: the caller answers 413. Mutates `body`.
 */
export function applySoftCap(body: Json, capBytes: number): SoftCapResult {
  const before = size(body);
  const r: SoftCapResult = {
    A: 0,
    B: 0,
    C: 0,
    bytesBefore: before,
    bytesAfter: before,
    fits: before <= capBytes,
  };
  if (r.fits) return r;
  let current = before;
  for (const t of toolResults(body).sort((a, b) => b.bytes - a.bytes)) {
    if (current <= capBytes || t.bytes < STUB_MIN) break;
    const stub = `[ostk-cache: tool result of ${t.bytes} bytes removed to fit the request size cap; tool_use_id ${t.id}]`;
    t.holder[t.key] = stub;
    current -= t.bytes - size(stub);
    r.A++;
  }
  const messages: Json[] = body.messages ?? [];
  while (current > capBytes) {
    const pair = oldestPair(messages);
    if (!pair) break;
    const { use, result } = pair;
    use.msg.content = use.msg.content.filter((b: Json) => b !== use.block);
    result.msg.content = result.msg.content.filter((b: Json) => b !== result.block);
    for (const m of [use.msg, result.msg])
      if (m.content.length === 0)
        m.content = [{ type: "text", text: "[ostk-cache: earlier tool call removed]" }];
    current = size(body);
    r.B++;
  }
  if (current > capBytes && Array.isArray(body.tools)) {
    const used = new Set<string>();
    for (const m of messages)
      for (const b of Array.isArray(m?.content) ? m.content : [])
        if (b?.type === "tool_use") used.add(b.name);
    if (body.tool_choice?.name) used.add(body.tool_choice.name);
    const keep = body.tools.filter((t: Json) => used.has(t.name) || t.type?.startsWith?.("web_") || !t.name);
    r.C = body.tools.length - keep.length;
    body.tools = keep;
    current = size(body);
  }
  r.bytesAfter = current;
  r.fits = current <= capBytes;
  return r;
}

function oldestPair(messages: Json[]) {
  // The newest assistant message with tool_use is never touched, nor message 0.
  let newest = -1;
  for (let i = messages.length - 1; i >= 0; i--)
    if (
      messages[i]?.role === "assistant" &&
      Array.isArray(messages[i].content) &&
      messages[i].content.some((b: Json) => b?.type === "tool_use")
    ) {
      newest = i;
      break;
    }
  for (let i = 1; i < newest; i++) {
    const m = messages[i];
    if (m?.role !== "assistant" || !Array.isArray(m.content)) continue;
    for (const block of m.content) {
      if (block?.type !== "tool_use") continue;
      const next = messages[i + 1];
      const res = Array.isArray(next?.content)
        ? next.content.find((b: Json) => b?.type === "tool_result" && b.tool_use_id === block.id)
        : undefined;
      if (res) return { use: { msg: m, block }, result: { msg: next, block: res } };
    }
  }
  return undefined;
}
