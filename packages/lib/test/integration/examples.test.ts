import { describe, expect, it } from "vitest";
import { createDispatcher } from "../../examples/chat-bot.js";
import { main as windmillStep } from "../../examples/windmill-step.js";
import { startFakeKernel } from "../fake-kernel.js";
import { tempDir } from "../helpers.js";

describe("examples against a kernel-shaped RPC server", () => {
  it("the Windmill-style step writes through the kernel and reports an IntegrationResult", async () => {
    using tmp = tempDir();
    const kernel = await startFakeKernel(tmp.dir);
    const r = await windmillStep({
      path: "notes/today.md",
      content: "hello",
      socket: kernel.socketPath,
      job_id: "j-42",
    });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.status).toBe("ok");
    expect(r.result).toMatchObject({ path: "notes/today.md", gen: 1 });
    expect(r.effects.map((e) => e.kind)).toEqual(["session", "fs.write"]);
    expect(r.metrics.calls).toBe(2);
    expect(r.metrics.duration_ms).toBeGreaterThan(0);
    expect(kernel.entries.at(-1)?.actor.id).toBe("windmill:j-42");
    // Outside its granted scope the step reports "denied", not a crash.
    const denied = await windmillStep({ path: ".ostk/pins/x", content: "x", socket: kernel.socketPath });
    expect(denied.ok).toBe(false);
    expect(denied.error?.data?.kind).toBe("ProtectedPath");
    await kernel.close();
  });

  it("the chat-bot dispatcher scopes each user, maps denials and redacts replies", async () => {
    using tmp = tempDir();
    const kernel = await startFakeKernel(tmp.dir);
    const bot = createDispatcher({ socket: kernel.socketPath, admins: ["alice"] });
    const w = await bot.handle({
      user: "alice",
      text: "/write docs/a.md token=sk-ant-api03-AAAABBBBCCCCDDDDEEEEFFFF",
    });
    expect(w.text).toBe("wrote docs/a.md (gen 1)");
    const r = await bot.handle({ user: "bob", text: "/read docs/a.md" });
    expect(r.text).toBe("docs/a.md (gen 1):\ntoken=[REDACTED]");
    const denied = await bot.handle({ user: "bob", text: "/write docs/a.md hi" });
    expect(denied.result.status).toBe("denied");
    expect(denied.text).toMatch(/^not allowed: policy denied write to docs\/a.md/);
    expect((await bot.handle({ user: "bob", text: "/read nope.md" })).text).toBe(
      "not found: nope.md does not exist",
    );
    expect((await bot.handle({ user: "bob", text: "/whoami" })).text).toBe(
      "granted: read:**; denied: nothing",
    );
    expect((await bot.handle({ user: "bob", text: "/status" })).text).toMatch(/journal at seq 1$/);
    expect(kernel.entries[0].actor).toMatchObject({ id: "chat:alice" });
    await bot.close();
    await kernel.close();
  });
});
