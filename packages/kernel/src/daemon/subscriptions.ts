import { randomUUID } from "node:crypto";
import type { JournalEntry } from "@ostk/lib";

export interface SubscriptionFilter {
  paths?: string[];
  events?: string[];
}

export function matches(filter: SubscriptionFilter, e: JournalEntry): boolean {
  if (filter.events?.length && !filter.events.includes(e.event)) return false;
  if (filter.paths?.length) {
    const to = typeof e.data?.to === "string" ? e.data.to : undefined;
    const hit = (p?: string) =>
      p !== undefined &&
      filter.paths!.some((q) => q === "" || p === q || p.startsWith(q.endsWith("/") ? q : `${q}/`));
    if (!hit(e.path) && !hit(to)) return false;
  }
  return true;
}

/** Fan-out of committed journal entries to subscribers (socket connections and in-process listeners). */
export class Subscriptions {
  private subs = new Map<string, { filter: SubscriptionFilter; deliver: (e: JournalEntry) => void }>();

  add(filter: SubscriptionFilter, deliver: (e: JournalEntry) => void): string {
    const id = randomUUID();
    this.subs.set(id, { filter, deliver });
    return id;
  }

  remove(id: string): boolean {
    return this.subs.delete(id);
  }

  publish(e: JournalEntry): void {
    for (const s of this.subs.values()) {
      if (matches(s.filter, e)) {
        try {
          s.deliver(e);
        } catch {
          /* a failing subscriber never stops the others */
        }
      }
    }
  }

  get size(): number {
    return this.subs.size;
  }
}
