import { connect } from "node:net";
import { connectRpc } from "./lib-seam";
import { estimateTokens } from "./tokens";
import type { Json } from "./wire/anthropic";
import { lastUserText } from "./wire/text";

export interface RecallHit {
  id: string;
  path: string;
  start_line: number;
  end_line: number;
  symbol?: string | null;
  snippet: string;
  score: number;
}

/** Minimal newline-delimited JSON-RPC call, used when lib's RpcClient is not available. */
function rawCall(socketPath: string, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`recall did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => sock.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })}\n`));
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl === -1) return;
      clearTimeout(timer);
      sock.end();
      try {
        const msg = JSON.parse(buf.slice(0, nl));
        if (msg.error) reject(new Error(msg.error.message));
        else resolve(msg.result);
      } catch (err) {
        reject(err);
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Asks recall (`recall/search` over `.ostk/recall.sock`) for memories; undefined when absent or slow. */
export async function recallSearch(
  socketPath: string,
  query: string,
  limit: number,
  timeoutMs: number,
): Promise<RecallHit[] | undefined> {
  const deadline = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref());
  const attempt = (async () => {
    const client = await connectRpc(socketPath, timeoutMs).catch(() => undefined);
    try {
      const result = (
        client
          ? await client.call("recall/search", { query, limit })
          : await rawCall(socketPath, "recall/search", { query, limit }, timeoutMs)
      ) as { hits?: RecallHit[] };
      return Array.isArray(result?.hits) ? result.hits : undefined;
    } finally {
      await client?.close();
    }
  })().catch(() => undefined);
  return Promise.race([attempt, deadline]);
}

/** The latest user turn plus a short window of context, as a recall query. */
export function enrichQuery(body: Json): string {
  const last = lastUserText(body);
  const msgs: Json[] = Array.isArray(body.messages)
    ? body.messages
    : Array.isArray(body.input)
      ? body.input
      : [];
  const context = msgs
    .slice(-4, -1)
    .map((m) => (typeof m?.content === "string" ? m.content : ""))
    .join("\n");
  return `${last}\n${context}`.trim().slice(0, 2000);
}

/**
 * Appends one marked memory block after the cached prefix (the end of the newest user message, or
 * a new trailing message for OpenAI), within a token budget. Mutates `body`.
 */
export function injectMemories(
  body: Json,
  route: string,
  hits: RecallHit[],
  budget: number,
): { ids: string[]; tokens: number } {
  const used: RecallHit[] = [];
  let tokens = 0;
  for (const h of hits) {
    const t = estimateTokens(h.snippet) + 12;
    if (tokens + t > budget) break;
    used.push(h);
    tokens += t;
  }
  if (used.length === 0) return { ids: [], tokens: 0 };
  const text = [
    `<ostk-memory source="recall" note="context retrieved by the ostk proxy, not written by the user">`,
    ...used.map(
      (h) => `## ${h.path}:${h.start_line}-${h.end_line}${h.symbol ? ` (${h.symbol})` : ""}\n${h.snippet}`,
    ),
    "</ostk-memory>",
  ].join("\n");
  if (route === "anthropic-messages") {
    const last = body.messages?.[body.messages.length - 1];
    if (last?.role !== "user") return { ids: [], tokens: 0 };
    if (typeof last.content === "string") last.content = [{ type: "text", text: last.content }];
    last.content.push({ type: "text", text });
  } else if (route === "openai-chat") {
    body.messages.push({ role: "user", content: text });
  } else {
    if (typeof body.input === "string") body.input = [{ role: "user", content: body.input }];
    if (!Array.isArray(body.input)) return { ids: [], tokens: 0 };
    body.input.push({ role: "user", content: text });
  }
  return { ids: used.map((h) => h.id), tokens: estimateTokens(text) };
}
