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
});
