import * as fs from "node:fs";
import * as path from "node:path";
import { KernelClient, type OstkRpcError } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { readEntries } from "../../src/journal/read.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

async function refusal(p: Promise<unknown>): Promise<OstkRpcError> {
  try {
    await p;
  } catch (err) {
    return err as OstkRpcError;
  }
  throw new Error("expected a refusal");
}

describe("the decision chain in front of file syscalls", () => {
  it("pin denies, session grants narrow, and a risky write waits for a human", async () => {
    await using env = tmpKernelEnv();
    fs.mkdirSync(path.join(env.workspace, ".ostk/pins/default"), { recursive: true });
    fs.writeFileSync(
      path.join(env.workspace, ".ostk/pins/default/pin.caps"),
      "read: **\nwrite: **\nexecute: shell\ndeny: write-kernel modify-governance write-src\n",
    );
    fs.mkdirSync(path.join(env.workspace, ".git"));
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const c = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-p", kind: "agent" },
    });

    const denied = await refusal(c.call("fs/write", { path: "src/a.ts", content: "x" }));
    expect(denied.kind).toBe("PolicyDenied");
    expect(denied.message).toContain("matched: write-src");
    expect(fs.existsSync(path.join(env.workspace, "src/a.ts"))).toBe(false);

    const n = await c.negotiate({ capabilities: ["read:**", "write:docs/**"] });
    expect(n.granted).toEqual(["read:**", "write:docs/**"]);
    await c.call("fs/write", { path: "docs/ok.md", content: "fine\n" });
    const outside = await refusal(c.call("fs/write", { path: "notes.txt", content: "x" }));
    expect(outside.kind).toBe("PolicyDenied");
    expect(outside.message).toContain("outside the session's grant");

    // .envrc is a protected path: the write asks a human. Deny it once, approve it once.
    const b = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-q", kind: "agent" },
    });
    const pending: string[] = [];
    b.rpc.onNotification("approval/pending", (p: { id: string }) => {
      pending.push(p.id);
      if (pending.length === 1) k.gate.deny(p.id, { by: "tester", channel: "test" });
      else k.gate.approve(p.id, { by: "tester", channel: "test" });
    });
    const no = await refusal(b.call("fs/write", { path: ".envrc", content: "export X=1\n" }));
    expect(no.kind).toBe("ApprovalDenied");
    expect(fs.existsSync(path.join(env.workspace, ".envrc"))).toBe(false);
    await b.call("fs/write", { path: ".envrc", content: "export X=1\n" });
    expect(fs.readFileSync(path.join(env.workspace, ".envrc"), "utf8")).toBe("export X=1\n");

    await b.close();
    await c.close();
    await k.close();
    const events = [...readEntries(path.join(env.workspace, ".ostk"))].map((e) => e.event);
    expect(events.filter((e) => e === "decision").length).toBeGreaterThanOrEqual(4);
    expect(events).toContain("approval.denied");
    expect(events).toContain("approval.approved");
    expect(events).toContain("session.grant");
  }, 60_000);

  it("query syscalls show only paths the caller may read: deny-path and session grants filter list, glob, grep, stat, generations and the journal", async () => {
    await using env = tmpKernelEnv();
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(env.workspace, rel)), { recursive: true });
      fs.writeFileSync(path.join(env.workspace, rel), text);
    };
    put(".env", "TOKEN=hunter3\n");
    put("src/app.ts", "const TOKEN = process.env.TOKEN;\n");
    put("docs/readme.md", "TOKEN docs\n");
    const k = await startKernel({ workspace: env.workspace, keyPath: env.keyPath });
    const c = await KernelClient.connect({
      socketPath: k.socketPath!,
      identity: { id: "agent-r", kind: "agent" },
    });
    // Written while the default pin allowed it (so generations and the journal know it), then denied.
    await c.call("fs/write", { path: "secrets/api.txt", content: "TOKEN=hunter2\n" });
    const pins = path.join(env.workspace, ".ostk/pins/default");
    fs.mkdirSync(pins, { recursive: true });
    fs.writeFileSync(
      path.join(pins, "pin.caps"),
      "read: **\nwrite: **\ndeny: write-kernel modify-governance\ndeny-path: secrets/** .env\n",
    );
    type Listed = { entries: { path: string }[] };
    type Grepped = { matches: { path: string; text: string }[] };

    // The read itself is refused…
    expect((await refusal(c.call("fs/read", { path: "secrets/api.txt" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/read", { path: ".env" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/stat", { path: ".env" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/list", { path: "secrets" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/search", { pattern: "TOKEN", path: ".env" }))).kind).toBe(
      "PolicyDenied",
    );

    // …and so is every way of seeing the names or lines through a query over the workspace.
    const listed = ((await c.call("fs/list", { depth: 5 })) as Listed).entries.map((e) => e.path);
    expect(listed).toEqual(expect.arrayContaining(["src", "src/app.ts", "docs/readme.md"]));
    expect(listed.filter((p) => p.startsWith("secrets") || p === ".env")).toEqual([]);
    const globbed = ((await c.call("fs/glob", { pattern: "**" })) as { paths: string[] }).paths;
    expect(globbed).toContain("src/app.ts");
    expect(globbed.filter((p) => p.startsWith("secrets") || p === ".env")).toEqual([]);
    const grep = (await c.call("fs/search", { pattern: "TOKEN" })) as Grepped;
    expect(grep.matches.map((m) => m.path).sort()).toEqual(["docs/readme.md", "src/app.ts"]);
    expect(JSON.stringify(grep)).not.toContain("hunter");

    // The earlier commit of the secret and a refused write's decision are journaled: neither shows
    // in the agent's queries of generations, the journal or the projection.
    expect(k.core.gens.get("secrets/api.txt")).toBeDefined();
    await refusal(c.call("fs/write", { path: "secrets/new.txt", content: "TOKEN=hunter4\n" }));
    await c.call("fs/write", { path: "docs/new.md", content: "ok\n" });
    const gens = ((await c.call("gen/lookup", {})) as { rows: { path: string }[] }).rows.map((r) => r.path);
    expect(gens).toContain("docs/new.md");
    expect(gens.filter((p) => p.startsWith("secrets") || p === ".env")).toEqual([]);
    const asked = (await c.call("gen/lookup", { paths: ["secrets/api.txt", ".env"] })) as { rows: unknown[] };
    expect(asked.rows).toEqual([]);
    const journal = (await c.call("journal/query", {})) as { entries: { path?: string }[] };
    expect(journal.entries.some((e) => e.path === "docs/new.md")).toBe(true);
    expect(JSON.stringify(journal)).not.toContain("secrets/");
    const projection = (await c.call("kernel/projection", {})) as { text: string };
    expect(projection.text).toContain("docs/new.md");
    expect(projection.text).not.toContain("secrets/");

    // A symlink inside the workspace does not open a denied path: neither reading nor writing through it.
    fs.symlinkSync("../secrets/api.txt", path.join(env.workspace, "docs/link.txt"));
    fs.symlinkSync("../.env", path.join(env.workspace, "docs/env-link"));
    expect((await refusal(c.call("fs/read", { path: "docs/link.txt" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/read", { path: "docs/env-link" }))).kind).toBe("PolicyDenied");
    expect((await refusal(c.call("fs/write", { path: "docs/env-link", content: "x" }))).kind).toBe(
      "PolicyDenied",
    );
    expect(fs.readFileSync(path.join(env.workspace, ".env"), "utf8")).toBe("TOKEN=hunter3\n");
    expect(((await c.call("fs/search", { pattern: "hunter" })) as Grepped).matches).toEqual([]);

    // A session grant narrows the same way: read:docs/** sees nothing of src/.
    await c.negotiate({ capabilities: ["read:docs/**"] });
    const narrowed = (await c.call("fs/search", { pattern: "TOKEN" })) as Grepped;
    expect(narrowed.matches.map((m) => m.path)).toEqual(["docs/readme.md"]);

    await c.close();
    await k.close();
  }, 60_000);
});
