import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { redactString } from "../lib-seam";

/** One ledger row per proxied model request. Never holds an API key or a request body. */
export interface LedgerRow {
  ts: string;
  trace_id: string;
  session: string | null;
  workspace_id: string;
  key_id: string | null;
  provider: "anthropic" | "openai";
  route: string;
  model: string | null;
  mode: string;
  stream: boolean;
  status: number;
  error_type?: string | null;
  req_bytes_in: number;
  req_bytes_out: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  uncached_cost_usd: number | null;
  saving_usd: number | null;
  response_cache: "hit" | "miss" | "bypass" | "coalesced" | "stored";
  breakpoints?: { client: number; final: number };
  stripped?: { cch: number; reminders: number };
  tiers: { A: number; B: number; C: number; D: number };
  rebuild?: { replaced: number; repaired: number; source: string };
  enrich?: { ids: string[]; tokens: number } | null;
  latency_ms: number;
  ttfb_ms: number | null;
}

/** Rows hold counters and ids only; the few free-text fields still pass through lib's redaction. */
function redactRow(row: LedgerRow): LedgerRow {
  const out = { ...row };
  for (const k of ["session", "model", "error_type", "route", "mode"] as const)
    if (typeof out[k] === "string") (out as Record<string, unknown>)[k] = redactString(out[k] as string);
  return out;
}

/** Rows held before a write is forced (about 64 KB of JSON). */
const MAX_PENDING_ROWS = 128;

/**
 * Append-only JSONL ledger (`.ostk/memory/ledger.jsonl`, mode 0600); free-text fields pass through
 * lib's `redactString`. Rows are redacted, serialised and written in one go every `flushMs` (or every
 * 128 rows), so a request pays neither the disk nor the JSON after its answer is sent; `close()`
 * flushes what is left. Rows must not be changed after `append`.
 */
export class Ledger {
  private stream: WriteStream;
  private pending: LedgerRow[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly flushMs = 50,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: "a", mode: 0o600 });
    this.stream.on("error", () => {
      // A full disk must not take the proxy down; rows are lost, requests keep flowing.
    });
  }

  append(row: LedgerRow): void {
    this.pending.push(row);
    if (this.pending.length >= MAX_PENDING_ROWS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    let text = "";
    for (const row of this.pending) text += `${JSON.stringify(redactRow(row))}\n`;
    this.pending = [];
    this.stream.write(text);
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
