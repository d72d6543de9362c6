import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSqliteStore } from "../store/sqlite-store";
import { cacheDecision, responseCacheKey } from "./cache-key";
import { ResponseCache, toCached } from "./response-cache";

const h = { "anthropic-version": "2023-06-01" };
const body = { model: "m", max_tokens: 5, temperature: 0, messages: [{ role: "user", content: "q" }] };

describe("responseCacheKey", () => {
  it("ignores metadata, stream, cache_control and the volatile token; not the model, sampling, beta or key", () => {
    const k = responseCacheKey("/v1/messages", h, body, "id1");
    const same = {
      ...body,
      stream: true,
      metadata: { user_id: "x" },
      system: [{ type: "text", text: "a cch=abc12; b", cache_control: { type: "ephemeral" } }],
    };
    const base = { ...body, system: [{ type: "text", text: "a b" }] };
    expect(responseCacheKey("/v1/messages", h, same, "id1")).toBe(
      responseCacheKey("/v1/messages", h, base, "id1"),
    );
    expect(responseCacheKey("/v1/messages", h, { ...body, model: "n" }, "id1")).not.toBe(k);
    expect(responseCacheKey("/v1/messages", h, { ...body, max_tokens: 6 }, "id1")).not.toBe(k);
    expect(responseCacheKey("/v1/messages", { ...h, "anthropic-beta": "x" }, body, "id1")).not.toBe(k);
    expect(responseCacheKey("/v1/messages", h, body, "id2")).not.toBe(k);
  });
});

describe("cacheDecision", () => {
  it("caches only deterministic or opted-in requests without server-side state", () => {
    expect(cacheDecision("anthropic-messages", {}, body, false).use).toBe(true);
    expect(cacheDecision("anthropic-messages", {}, { ...body, temperature: 1 }, false)).toEqual({
      use: false,
      reason: "sampled",
    });
    expect(
      cacheDecision("anthropic-messages", { "x-ostk-cache": "on" }, { ...body, temperature: 1 }, false).use,
    ).toBe(true);
    expect(cacheDecision("anthropic-messages", { "x-ostk-cache": "off" }, body, true).use).toBe(false);
    expect(cacheDecision("anthropic-messages", {}, { ...body, temperature: 1 }, true).use).toBe(true);
    expect(cacheDecision("anthropic-messages", {}, { ...body, container: "c" }, true).use).toBe(false);
    expect(cacheDecision("openai-responses", {}, { ...body, previous_response_id: "r" }, true).use).toBe(
      false,
    );
    expect(cacheDecision("openai-chat", {}, { ...body, tools: [{ type: "web_search" }] }, true).use).toBe(
      false,
    );
  });
});

describe("ResponseCache", () => {
  const make = (maxEntryBytes = 1024 * 1024) =>
    new ResponseCache({
      store: createSqliteStore({ path: ":memory:" }),
      secret: randomBytes(32),
      ttlMs: 60_000,
      maxEntryBytes,
      maxTotalBytes: 10 * 1024 * 1024,
      workspace: "/w",
    });

  it("round-trips an entry for the same API key only, and refuses entries over the size limit", async () => {
    const rc = make(2000);
    const value = toCached("anthropic-messages", { id: "msg_1", usage: { input_tokens: 3 }, content: [] });
    expect(await rc.put("k", "key-A", value, [])).toBe(true);
    expect(await rc.get("k", "key-A")).toMatchObject({ id: "msg_1", usage: { input_tokens: 3 } });
    expect(await rc.get("k", "key-B")).toBeUndefined();
    expect(await rc.put("big", "key-A", toCached("r", { id: "x", text: "y".repeat(5000) }), [])).toBe(false);
    await rc.close();
  });

  it("hands the leader's result to identical in-flight requests", async () => {
    const rc = make();
    expect(rc.pending("k")).toBeUndefined();
    const done = rc.lead("k");
    const follower = rc.pending("k");
    const value = toCached("r", { id: "a" });
    done(value);
    expect(await follower).toBe(value);
    expect(rc.pending("k")).toBeUndefined();
    await rc.close();
  });
});
