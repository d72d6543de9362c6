import type { Json } from "../wire/anthropic";

const CCH = / ?\bcch=[0-9a-fA-F]+;/g;
const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>\s*/g;

export interface StripResult {
  cch: number;
  reminders: number;
}

function stripCch(s: string, counter: StripResult): string {
  return s.replace(CCH, () => {
    counter.cch++;
    return "";
  });
}

function stripReminders(s: string, counter: StripResult): string {
  return s.replace(REMINDER, () => {
    counter.reminders++;
    return "";
  });
}

/** True when a text is nothing but system-reminder blocks. */
function onlyReminders(s: string): boolean {
  return s.includes("<system-reminder>") && s.replace(REMINDER, "").trim() === "";
}

/**
 * Removes the tokens that change on every request and so break the cached prefix: Claude Code's
 * `cch=<hex>;` billing token (system and message text) and `<system-reminder>` blocks in past
 * turns (every message before the newest user message; the first message, which carries the
 * session context, is kept unless `keepFirstMessage` is false). Mutates `body`.
 */
export function stripVolatile(body: Json, opts: { keepFirstMessage?: boolean } = {}): StripResult {
  const r: StripResult = { cch: 0, reminders: 0 };
  if (typeof body.system === "string") body.system = stripCch(body.system, r);
  else if (Array.isArray(body.system))
    for (const b of body.system) if (typeof b?.text === "string") b.text = stripCch(b.text, r);
  const messages: Json[] = Array.isArray(body.messages) ? body.messages : [];
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i]?.role === "user") {
      lastUser = i;
      break;
    }
  messages.forEach((m, i) => {
    const past = i < lastUser && !(i === 0 && opts.keepFirstMessage !== false);
    if (typeof m?.content === "string") {
      m.content = stripCch(m.content, r);
      if (past && !onlyReminders(m.content)) m.content = stripReminders(m.content, r);
      return;
    }
    if (!Array.isArray(m?.content)) return;
    const kept: Json[] = [];
    for (const b of m.content) {
      if (b?.type === "text" && typeof b.text === "string") {
        b.text = stripCch(b.text, r);
        if (past && onlyReminders(b.text)) {
          r.reminders += (b.text.match(REMINDER) ?? []).length;
          continue;
        }
        if (past) b.text = stripReminders(b.text, r);
      } else if (past && b?.type === "tool_result") {
        if (typeof b.content === "string") b.content = stripReminders(b.content, r);
        else if (Array.isArray(b.content))
          for (const c of b.content)
            if (c?.type === "text" && typeof c.text === "string") c.text = stripReminders(c.text, r);
      }
      kept.push(b);
    }
    if (kept.length > 0) m.content = kept;
  });
  return r;
}

/** Index of the first block of the newest message that carries a system reminder (or -1). */
export function firstReminderBlock(message: Json): number {
  if (!Array.isArray(message?.content)) return -1;
  return message.content.findIndex(
    (b: Json) => b?.type === "text" && typeof b.text === "string" && b.text.includes("<system-reminder>"),
  );
}
