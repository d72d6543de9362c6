import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalGate, ApprovalStore } from "../../src/approvals/index.js";
import { defaultPin, type Pin, parsePinCaps } from "../../src/policy/index.js";
import { probeSandbox, type SandboxCallContext, sandboxMethods } from "../../src/sandbox/index.js";

let dir: string;
let ws: string;
let db: Database.Database;
let pin: Pin = defaultPin();
const journal: { event: string; data: Record<string, unknown>; actor?: string }[] = [];
let methods: ReturnType<typeof sandboxMethods>;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "ostk-methods-")));
  ws = join(dir, "ws");
  mkdirSync(join(ws, ".ostk"), { recursive: true });
  mkdirSync(join(ws, "src"));
  db = new Database(join(dir, "sessions.db"));
  const gate = new ApprovalGate({ store: new ApprovalStore(db), pollMs: 20 });
  methods = sandboxMethods({
    workspace: ws,
    pin: () => pin,
    gate,
    policy: () => ({ secretPaths: [join(dir, "keys")] }),
    record: async (event, data, ctx) => {
      journal.push({ event, data, actor: ctx.actor?.id });
    },
  });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function ctx(notes: [string, Record<string, unknown>][] = []): SandboxCallContext {
  return { actor: { id: "claude-1", session: "s1" }, notify: (m, p) => notes.push([m, p]) };
}

describe.skipIf(!probeSandbox().available)("sandboxMethods (exec + approvals over JSON-RPC)", () => {
  it("exec streams output, returns the result and the changed files, and journals decision + exec", async () => {
    const notes: [string, Record<string, unknown>][] = [];
    journal.length = 0;
    const r = (await methods.exec!({ command: "echo hello; echo data > src/out.txt" }, ctx(notes))) as Record<
      string,
      unknown
    >;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("hello\n");
    expect(r.files).toEqual({ changed: [], created: ["src/out.txt"], deleted: [] });
    expect(notes.some(([m, p]) => m === "exec/output" && String(p.chunk).includes("hello"))).toBe(true);
    expect(journal.map((j) => j.event)).toEqual(["decision", "exec"]);
    expect(journal[0]).toMatchObject({
      actor: "claude-1",
      data: { decision: "allow", rule: "pin.execute:shell" },
    });
  });

  it("a risky exec waits; approvals/list shows it and approvals/approve lets it run once", async () => {
    writeFileSync(join(ws, "src/victim.txt"), "v");
    mkdirSync(join(ws, "src/gone"), { recursive: true });
    const notes: [string, Record<string, unknown>][] = [];
    const running = methods.exec!({ command: "rm -rf src/gone" }, ctx(notes));
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const list = (await methods["approvals/list"]!({}, ctx())) as { approvals: { id: string }[] };
      id = list.approvals[0]?.id;
    }
    expect(id).toBeDefined();
    expect(notes.find(([m]) => m === "approval/pending")?.[1]).toMatchObject({
      id,
      rule: "risk:recursive-delete",
    });
    expect(existsSync(join(ws, "src/gone"))).toBe(true);
    const res = (await methods["approvals/approve"]!({ id }, { actor: { id: "human" } })) as { ok: boolean };
    expect(res.ok).toBe(true);
    expect(((await running) as { exitCode: number }).exitCode).toBe(0);
    expect(existsSync(join(ws, "src/gone"))).toBe(false);
    // the approval is spent: approving again changes nothing
    expect(((await methods["approvals/approve"]!({ id }, ctx())) as { ok: boolean }).ok).toBe(false);
  });

  it("a denied call is a PolicyDenied error with the rule; a refused approval is ApprovalDenied", async () => {
    pin = parsePinCaps("read: **\n", { name: "ro" });
    try {
      await expect(methods.exec!({ command: "ls" }, ctx())).rejects.toMatchObject({
        kind: "PolicyDenied",
        data: { rule: "pin.no-grant" },
      });
    } finally {
      pin = defaultPin();
    }
    const running = methods.exec!({ command: "git push --force" }, ctx());
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      await new Promise((r) => setTimeout(r, 10));
      id = ((await methods["approvals/list"]!({}, ctx())) as { approvals: { id: string }[] }).approvals[0]
        ?.id;
    }
    await methods["approvals/deny"]!({ id }, { actor: { id: "human" } });
    await expect(running).rejects.toMatchObject({
      kind: "ApprovalDenied",
      data: { rule: "risk:force-push" },
    });
  });

  it("rejects malformed params", async () => {
    await expect(methods.exec!({ command: "" }, ctx())).rejects.toMatchObject({ kind: "InvalidParams" });
    await expect(methods.exec!({ command: "ls", timeoutMs: -1 }, ctx())).rejects.toMatchObject({
      kind: "InvalidParams",
    });
    await expect(methods["approvals/approve"]!({ id: "ap_nope" }, ctx())).rejects.toMatchObject({
      kind: "NotFound",
    });
  });
});
