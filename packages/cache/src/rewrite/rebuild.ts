import type { Json } from "../wire/anthropic";

const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>\s*/g;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

function userText(m: Json): string {
  if (typeof m?.content === "string") return m.content.replace(REMINDER, "").trim();
  if (!Array.isArray(m?.content)) return "";
  return m.content
    .filter((b: Json) => b?.type === "text")
    .map((b: Json) => String(b.text).replace(REMINDER, "").trim())
    .filter(Boolean)
    .join("\n");
}

/** A projection of the replaced turns: prior user intents, recent tool activity, unresolved frontier. */
export function localProjection(replaced: Json[]): string {
  const intents: string[] = [];
  const activity: string[] = [];
  const results = new Map<string, Json>();
  const uses: Json[] = [];
  let lastAssistant = "";
  for (const m of replaced) {
    if (m?.role === "user") {
      const t = userText(m);
      if (t) intents.push(`- ${clip(t, 300)}`);
      for (const b of Array.isArray(m.content) ? m.content : [])
        if (b?.type === "tool_result") results.set(b.tool_use_id, b);
    } else if (m?.role === "assistant" && Array.isArray(m.content)) {
      for (const b of m.content) {
        if (b?.type === "tool_use") uses.push(b);
        if (b?.type === "text" && b.text) lastAssistant = b.text;
      }
    }
  }
  for (const u of uses.slice(-20)) {
    const res = results.get(u.id);
    const bytes = res ? Buffer.byteLength(JSON.stringify(res.content ?? "")) : 0;
    activity.push(
      `- ${u.name}(${clip(JSON.stringify(u.input ?? {}), 160)}) → ${res ? `${res.is_error ? "error, " : ""}${bytes} bytes` : "no result"}`,
    );
  }
  const frontier = uses.filter((u) => !results.has(u.id)).map((u) => `- ${u.name} (${u.id}) has no result`);
  if (lastAssistant) frontier.push(`- last assistant note: ${clip(lastAssistant, 500)}`);
  return [
    "Prior user intents:",
    ...(intents.length ? intents : ["- (none)"]),
    "Recent tool activity:",
    ...(activity.length ? activity : ["- (none)"]),
    "Unresolved frontier:",
    ...(frontier.length ? frontier : ["- (none)"]),
  ].join("\n");
}

const KEEP_RECENT = 6;
const STEP = 10;

/**
 * Index where the in-flight chain starts: the newest user message carrying a real prompt, or, in a
 * long tool loop, the assistant turn that opens the last few tool calls.
 */
function chainStart(messages: Json[]): number {
  let prompt = 0;
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i]?.role === "user" && userText(messages[i])) {
      prompt = i;
      break;
    }
  // The cut moves in steps so the projection (and the prefix after it) stays byte-stable for
  // several turns and the provider's cache keeps hitting between steps.
  const cut = Math.floor((messages.length - KEEP_RECENT) / STEP) * STEP;
  let start = Math.max(prompt, cut);
  if (start > prompt && messages[start]?.role !== "assistant") start -= 1;
  return start;
}

export interface RebuildResult {
  replacedMessages: number;
  repairedResults: number;
  source: "local" | "kernel" | "none";
}

/**
 * Replaces the turns between the first message and the in-flight chain with one synthetic
 * projection message (built from the replaced turns, plus the kernel's live workspace state when
 * `projection` is given), keeps the
 * chain verbatim, and repairs tool results whose call was summarised away (they become text) and
 * calls left without a result. Mutates `body`.
 */
export function rebuildHistory(
  body: Json,
  opts: { minMessages: number; projection?: string },
): RebuildResult {
  const messages: Json[] = Array.isArray(body.messages) ? body.messages : [];
  const none: RebuildResult = { replacedMessages: 0, repairedResults: 0, source: "none" };
  if (messages.length <= opts.minMessages) return none;
  const start = chainStart(messages);
  if (start <= 1) return none;
  const replaced = messages.slice(1, start);
  const local = localProjection(replaced);
  const projectionText = opts.projection ? `${local}\nWorkspace state (kernel):\n${opts.projection}` : local;
  const projection = {
    role: "user",
    content: [{ type: "text", text: `<ostk-projection>\n${projectionText}\n</ostk-projection>` }],
  };
  const chain = messages.slice(start);
  const repaired = repairChain(chain);
  body.messages = [messages[0], projection, ...chain];
  return {
    replacedMessages: replaced.length,
    repairedResults: repaired,
    source: opts.projection ? "kernel" : "local",
  };
}

function repairChain(chain: Json[]): number {
  let repaired = 0;
  const known = new Set<string>();
  chain.forEach((m, i) => {
    if (!Array.isArray(m?.content)) return;
    if (m.role === "assistant") {
      const ids = m.content.filter((b: Json) => b?.type === "tool_use").map((b: Json) => b.id as string);
      ids.forEach((id: string) => {
        known.add(id);
      });
      const next = chain[i + 1];
      if (next && ids.length) {
        if (!Array.isArray(next.content)) next.content = [{ type: "text", text: String(next.content ?? "") }];
        const have = new Set(
          next.content.filter((b: Json) => b?.type === "tool_result").map((b: Json) => b.tool_use_id),
        );
        const missing = ids.filter((id: string) => !have.has(id));
        for (const id of missing) {
          next.content.unshift({
            type: "tool_result",
            tool_use_id: id,
            is_error: true,
            content: "[result unavailable]",
          });
          repaired++;
        }
      }
      return;
    }
    m.content = m.content.map((b: Json) => {
      if (b?.type !== "tool_result" || known.has(b.tool_use_id)) return b;
      repaired++;
      const text = typeof b.content === "string" ? b.content : JSON.stringify(b.content ?? "");
      return {
        type: "text",
        text: `[tool result for ${b.tool_use_id}, call summarised above]\n${clip(text, 4000)}`,
      };
    });
  });
  return repaired;
}
