import type { Json } from "./anthropic";

/** The text of the newest user message (string content or text blocks), for default replies. */
export function lastUserText(body: Json): string {
  const msgs: Json[] = body?.messages ?? (Array.isArray(body?.input) ? body.input : []);
  if (typeof body?.input === "string") return body.input;
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (m?.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    const texts = (m.content ?? []).filter((b: Json) => b?.type === "text" || b?.type === "input_text");
    if (texts.length) return texts.map((b: Json) => b.text).join("\n");
  }
  return "";
}
