import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeUpstream, startFakeUpstream } from "@ostk/cache/testing";
import { DEFAULT_PIN_TEXT, ensureKey } from "@ostk/kernel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOstkdConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { type Ostkd, startOstkd } from "../../src/start-ostkd.js";

const root = mkdtempSync(join(tmpdir(), "ostkd-wiring-"));
const ws = join(root, "ws");
let fake: FakeUpstream;
let ostkd: Ostkd;
const keyDirBefore = process.env.OSTK_KEY_DIR;

beforeAll(async () => {
  process.env.OSTK_KEY_DIR = join(root, "keys");
  // What `ostk init` creates (so this in-process test needs no built CLI): the key, a pin, the config below.
  ensureKey(join(root, "keys"));
  mkdirSync(join(ws, ".ostk", "pins", "default"), { recursive: true });
  writeFileSync(join(ws, ".ostk", "pins", "default", "pin.caps"), DEFAULT_PIN_TEXT);
  mkdirSync(join(ws, "src"));
  writeFileSync(
    join(ws, "src", "greet.ts"),
    "/** Greets a visitor at the aquarium gate. */\nexport function greetVisitor(name: string): string {\n  return `Welcome to the aquarium, ${name}`;\n}\n",
  );
  fake = await startFakeUpstream();
  // The wiring under test: rebuild-kernel (projection from the kernel socket) and enrich (recall over recall.sock).
  writeFileSync(
    join(ws, ".ostk", "config.toml"),
    `[cache]\nmode = "rebuild-kernel"\nrebuild_after_messages = 2\n\n[cache.enrich]\nenabled = true\ntimeout_ms = 3000\n\n[cache.kernel]\nprojection_timeout_ms = 3000\n`,
  );
  const loaded = loadOstkdConfig(ws, { cache: { port: 0, upstream: fake.url } });
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  const { logger } = createLogger({ level: "silent", log: "-", workspace: ws });
  ostkd = await startOstkd({ workspace: ws, config: loaded.config, cache: loaded.cache, logger });
  await ostkd.recall?.settle();
  await ostkd.recall?.scan();
}, 60_000);

afterAll(async () => {
  await ostkd?.close();
  await fake?.close();
  if (keyDirBefore === undefined) delete process.env.OSTK_KEY_DIR;
  else process.env.OSTK_KEY_DIR = keyDirBefore;
  rmSync(root, { recursive: true, force: true });
});

async function post(body: unknown) {
  const res = await fetch(`${ostkd.cache?.url}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "sk-ant-test-wiring-0000000000",
      "anthropic-version": "2023-06-01",
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

describe("ostkd wiring (in-process, through the protocol)", () => {
  it("starts every layer, with the cache following the kernel subscription", async () => {
    expect(ostkd.layers.kernel.state).toBe("running");
    expect(ostkd.layers.recall.state).toBe("running");
    expect(ostkd.layers.cache.state).toBe("running");
    const stats = await ostkd.cache?.stats();
    expect(stats?.invalidation).toBe("kernel");
  });

  it("cache enrich queries recall over .ostk/recall.sock", async () => {
    await post({
      model: "claude-sonnet-4-6",
      max_tokens: 32,
      messages: [{ role: "user", content: "Where do we greet visitors at the aquarium gate?" }],
    });
    const sent = JSON.stringify(fake.requests.at(-1)?.body);
    expect(sent).toContain('<ostk-memory source=\\"recall\\"');
    expect(sent).toContain("src/greet.ts");
  });

  it("rebuild-kernel gets kernel/projection from the kernel socket", async () => {
    await ostkd.kernel?.call("fs/write", { path: "src/tank.ts", content: "export const tank = 'reef';\n" });
    await post({
      model: "claude-sonnet-4-6",
      max_tokens: 32,
      messages: [
        { role: "user", content: "Let us work on the aquarium." },
        { role: "assistant", content: "Sure." },
        { role: "user", content: "Look at the tank." },
        { role: "assistant", content: "Reading it." },
        { role: "user", content: "And now?" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "read", input: { path: "src/tank.ts" } }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "export const tank = 'reef';" }],
        },
      ],
    });
    const body = fake.requests.at(-1)?.body as { messages: { content: { text?: string }[] }[] };
    const projection = JSON.stringify(body.messages[1]);
    expect(projection).toContain("<ostk-projection>");
    expect(projection).toContain("src/tank.ts");
    const ledger = join(ws, ".ostk", "memory", "ledger.jsonl");
    await expect
      .poll(
        () =>
          readFileSync(ledger, "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l).rebuild?.source),
        { timeout: 3_000 },
      )
      .toContain("kernel");
  });

  it("recall records the kernel's committed entries as events", async () => {
    await ostkd.kernel?.call("fs/write", { path: "src/fish.ts", content: "export const fish = 3;\n" });
    await expect
      .poll(() => ostkd.recall?.store.recentEvents("src/fish.ts", 10).map((e) => e.kind), { timeout: 5_000 })
      .toContain("journal.fs.commit");
  });
});
