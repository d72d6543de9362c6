import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApprovalGate, ApprovalStore, approveCommand, denyCommand } from "../../src/approvals/index.js";
import { defaultPin, parsePinCaps } from "../../src/policy/index.js";
import { ensureLauncher, execCommand, probeSandbox, runSandboxed } from "../../src/sandbox/index.js";

const linuxSandbox = probeSandbox().available;
let dir: string;
let ws: string;
let db: Database.Database;
let gate: ApprovalGate;
let records: { event: string; data: Record<string, unknown> }[];

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "ostk-exec-")));
  ws = join(dir, "ws");
  mkdirSync(join(ws, ".ostk"), { recursive: true });
  db = new Database(join(dir, "sessions.db"));
  db.pragma("journal_mode = WAL");
  gate = new ApprovalGate({ store: new ApprovalStore(db), pollMs: 20 });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  records = [];
  mkdirSync(join(ws, "work/victim"), { recursive: true });
  writeFileSync(join(ws, "work/victim/file"), "precious");
});

async function pendingId(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const [p] = gate.store.list({ status: "pending" });
    if (p) return p.id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no pending approval appeared");
}

function run(ttl = 10_000) {
  const stderr = new PassThrough();
  const done = execCommand(["rm -rf work/victim"], {
    workspace: ws,
    pin: defaultPin(),
    gate,
    approvalTtlMs: ttl,
    session: "sess-1",
    stdout: new PassThrough(),
    stderr,
    record: (event, data) => {
      records.push({ event, data });
    },
  });
  return { done, stderr };
}

describe.skipIf(!linuxSandbox)("ostk exec with the decision chain and the approval gate", () => {
  it("a destructive command waits; approving runs it once and every step is recorded", async () => {
    const { done, stderr } = run();
    const id = await pendingId();
    expect(existsSync(join(ws, "work/victim/file"))).toBe(true); // nothing ran while waiting
    const cli = new Database(join(dir, "sessions.db"));
    try {
      expect(
        await approveCommand(id, { store: new ApprovalStore(cli), by: "human", stdout: new PassThrough() }),
      ).toBe(0);
    } finally {
      cli.close();
    }
    expect(await done).toBe(0);
    expect(existsSync(join(ws, "work/victim"))).toBe(false);
    expect((stderr.read() as Buffer).toString()).toContain(`ostk approve ${id}`);
    expect(records.map((r) => r.event)).toEqual(["decision", "approval", "decision", "exec"]);
    expect(records[0]!.data).toMatchObject({ decision: "ask", rule: "risk:recursive-delete" });
    expect(records[1]!.data).toMatchObject({ id, outcome: "approved", decidedBy: "human", channel: "cli" });
    expect(records[2]!.data).toMatchObject({ decision: "allow", reason: "approved by a human" });
    expect((records[3]!.data.files as { deleted: string[] }).deleted).toEqual(["work/victim/file"]);
    expect(gate.store.get(id)?.status).toBe("approved");
    expect(gate.store.get(id)?.consumedAt).not.toBeNull();
  });

  it("denying never runs it", async () => {
    const { done } = run();
    const id = await pendingId();
    expect(await denyCommand(id, { store: gate.store, stdout: new PassThrough() })).toBe(0);
    expect(await done).toBe(126);
    expect(existsSync(join(ws, "work/victim/file"))).toBe(true);
    expect(records.map((r) => [r.event, r.data.outcome ?? r.data.decision])).toEqual([
      ["decision", "ask"],
      ["approval", "denied"],
    ]);
  });

  it("letting it expire never runs it", async () => {
    const { done } = run(150);
    expect(await done).toBe(126);
    expect(existsSync(join(ws, "work/victim/file"))).toBe(true);
    expect(records[1]!.data).toMatchObject({ outcome: "expired" });
  });

  it("a pin that denies shell refuses before anything runs", async () => {
    const err = new PassThrough();
    const code = await execCommand(["touch work/x"], {
      workspace: ws,
      pin: parsePinCaps("read: **\nwrite: **\nexecute: shell\ndeny-verb: bash\n", { name: "no-shell" }),
      stdout: new PassThrough(),
      stderr: err,
    });
    expect(code).toBe(126);
    expect(existsSync(join(ws, "work/x"))).toBe(false);
    expect((err.read() as Buffer).toString()).toContain("active pin denies exec");
  });

  it("an ordinary command runs in the sandbox and reports the files it changed", async () => {
    const out = new PassThrough();
    const code = await execCommand(["echo hi > work/new.txt && echo done"], {
      workspace: ws,
      pin: defaultPin(),
      json: true,
      stdout: out,
    });
    expect(code).toBe(0);
    const res = JSON.parse((out.read() as Buffer).toString());
    expect(res.stdout).toBe("done\n");
    expect(res.files.created).toEqual(["work/new.txt"]);
  });
});

describe.skipIf(!linuxSandbox)("when the sandbox is unavailable", () => {
  it("refuses with SandboxUnavailable and runs nothing; the explicit opt-out runs and is logged", async () => {
    const saved = process.env.OSTK_SANDBOX_LAUNCHER;
    process.env.OSTK_SANDBOX_LAUNCHER = join(dir, "no-such-launcher");
    try {
      ensureLauncher({ refresh: true });
      expect(probeSandbox({ refresh: true }).available).toBe(false);
      await expect(runSandboxed({ workspace: ws, command: "touch work/ran" })).rejects.toMatchObject({
        kind: "SandboxUnavailable",
      });
      expect(existsSync(join(ws, "work/ran"))).toBe(false);
      const warnings: unknown[] = [];
      const r = await runSandboxed({
        workspace: ws,
        command: "touch work/ran",
        policy: { unconfined: { reason: "test opt-out" } },
        logger: { warn: (o) => warnings.push(o) },
      });
      expect(r.sandboxed).toBe(false);
      expect(existsSync(join(ws, "work/ran"))).toBe(true);
      expect(warnings).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.OSTK_SANDBOX_LAUNCHER;
      else process.env.OSTK_SANDBOX_LAUNCHER = saved;
      ensureLauncher({ refresh: true });
      probeSandbox({ refresh: true });
    }
  });
});
