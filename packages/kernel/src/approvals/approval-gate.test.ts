import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ToolCall } from "../policy/tool-call.js";
import { type ApprovalEvent, ApprovalGate, askForApproval, promptChannel } from "./approval-gate.js";
import { ApprovalStore } from "./approval-store.js";
import { approvalsCommand, approveCommand, denyCommand } from "./approvals-commands.js";
import { type ElicitInput, mcpElicitationChannel } from "./mcp-elicitation.js";

let dir: string;
let db: Database.Database;
let gate: ApprovalGate;
const call: ToolCall = { verb: "exec", command: "rm -rf build" };
const decision = { reason: "recursive delete: needs approval", rule: "risk:recursive-delete" };

function text(stream: PassThrough): string {
  return (stream.read() as Buffer | null)?.toString() ?? "";
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ostk-approvals-"));
  db = new Database(join(dir, "sessions.db"));
  db.pragma("journal_mode = WAL");
  gate = new ApprovalGate({ store: new ApprovalStore(db), pollMs: 20 });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ApprovalGate", () => {
  it("approving lets the exact call run once", async () => {
    const events: string[] = [];
    gate.onEvent((e: ApprovalEvent) => events.push(e.type));
    const req = gate.request({ call, decision, session: "s1", ttlMs: 60_000 });
    expect(req.status).toBe("pending");
    const waiting = gate.waitFor(req.id);
    expect(gate.approve(req.id, { by: "alice", channel: "test" })).toBe(true);
    expect(await waiting).toBe("approved");
    expect(gate.consume(req.id, { verb: "exec", command: "rm -rf /" })).toBe(false); // another call
    expect(gate.consume(req.id, call)).toBe(true);
    expect(gate.consume(req.id, call)).toBe(false); // once
    expect(events).toEqual(["requested", "approved", "consumed"]);
  });

  it("denying, or letting it expire, never approves", async () => {
    const a = gate.request({ call, decision, ttlMs: 60_000 });
    const wa = gate.waitFor(a.id);
    gate.deny(a.id, { by: "bob", channel: "test" });
    expect(await wa).toBe("denied");
    expect(gate.consume(a.id, call)).toBe(false);

    const b = gate.request({ call, decision, ttlMs: 50 });
    expect(await gate.waitFor(b.id)).toBe("expired");
    expect(gate.approve(b.id, { by: "late", channel: "test" })).toBe(false);
    expect(gate.consume(b.id, call)).toBe(false);
  });

  it("sees a decision made by another process on the same sessions.db (ostk approve)", async () => {
    const req = gate.request({ call, decision, ttlMs: 60_000 });
    const waiting = gate.waitFor(req.id);
    const other = new Database(join(dir, "sessions.db"));
    try {
      const out = new PassThrough();
      expect(
        await approveCommand(req.id, { store: new ApprovalStore(other), by: "carol", stdout: out }),
      ).toBe(0);
      expect(text(out)).toContain(`approved ${req.id}: exec: rm -rf build`);
    } finally {
      other.close();
    }
    expect(await waiting).toBe("approved");
    expect(gate.store.get(req.id)?.decidedBy).toBe("carol");
  });

  it("a prompt channel (e.g. MCP elicitation) decides directly", async () => {
    gate.addChannel(promptChannel("mcp-elicitation", async (r) => !r.summary.includes("rm -rf /")));
    const ok = await askForApproval(gate, { call, decision });
    expect(ok.outcome).toBe("approved");
    expect(ok.request.channel).toBe("mcp-elicitation");
    expect(ok.request.status).toBe("approved");
    expect(ok.request.consumedAt).not.toBeNull();
    const bad = await askForApproval(gate, { call: { verb: "exec", command: "rm -rf /" }, decision });
    expect(bad.outcome).toBe("denied");
  });

  it("an MCP client's user approves through elicitation, only for its own session", async () => {
    const asked: string[] = [];
    const elicit: ElicitInput = async (p) => {
      asked.push(p.message);
      return p.message.includes("git push --force")
        ? { action: "decline" }
        : { action: "accept", content: { approve: true } };
    };
    gate.addChannel(mcpElicitationChannel(elicit, { session: "mcp-1", clientName: "claude-code" }));
    const ok = await askForApproval(gate, { call, decision, session: "mcp-1" });
    expect(ok.outcome).toBe("approved");
    expect(ok.request).toMatchObject({ channel: "mcp-elicitation", decidedBy: "claude-code" });
    expect(asked[0]).toContain("exec: rm -rf build");
    const no = await askForApproval(gate, {
      call: { verb: "exec", command: "git push --force" },
      decision,
      session: "mcp-1",
    });
    expect(no.outcome).toBe("denied");
    // another session's request is not shown to this client
    const other = gate.request({ call, decision, session: "other", ttlMs: 60_000 });
    await new Promise((r) => setTimeout(r, 30));
    expect(gate.store.get(other.id)?.status).toBe("pending");
    expect(asked).toHaveLength(2);
  });

  it("cancelling the waiting call denies its request", async () => {
    const ac = new AbortController();
    const p = askForApproval(gate, { call, decision, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    expect((await p).outcome).toBe("denied");
  });

  it("stores the call redacted", () => {
    const req = gate.request({
      call: {
        verb: "exec",
        command: "curl -H 'Authorization: Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123' x",
      },
      decision,
    });
    expect(req.summary).not.toContain("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123");
  });
});

describe("approval CLI commands", () => {
  it("lists pending requests, denies one, and explains why an expired one cannot be approved", async () => {
    const a = gate.request({ call, decision, session: "s1", ttlMs: 60_000 });
    const out = new PassThrough();
    expect(await approvalsCommand({ store: gate.store, stdout: out })).toBe(0);
    const listing = text(out);
    expect(listing).toContain(a.id);
    expect(listing).toContain("exec: rm -rf build");
    expect(listing).toContain("[risk:recursive-delete]");

    expect(await denyCommand(a.id, { store: gate.store, stdout: out })).toBe(0);
    const err = new PassThrough();
    expect(await approveCommand(a.id, { store: gate.store, stdout: out, stderr: err })).toBe(1);
    expect(text(err)).toMatch(/already denied/);

    const b = gate.request({ call, decision, ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(await approveCommand(b.id, { store: gate.store, stdout: out, stderr: err })).toBe(1);
    expect(text(err)).toMatch(/expired and was denied; nothing ran/);

    const json = new PassThrough();
    await approvalsCommand({ store: gate.store, json: true, all: true, stdout: json });
    const rows = JSON.parse(text(json)) as { status: string }[];
    expect(rows.map((r) => r.status).sort()).toEqual(["denied", "expired"]);
  });
});
