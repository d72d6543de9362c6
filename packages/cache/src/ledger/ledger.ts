import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { redact } from "../lib-seam";

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

/** Append-only JSONL ledger (`.ostk/memory/ledger.jsonl`, mode 0600); every row passes through `redact`. */
export class Ledger {
  private stream: WriteStream;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: "a", mode: 0o600 });
    this.stream.on("error", () => {
      // A full disk must not take the proxy down; rows are lost, requests keep flowing.
    });
  }

  append(row: LedgerRow): void {
    this.stream.write(`${JSON.stringify(redact(row))}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
