import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JournalEntry, JournalRecord } from "@ostk/lib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashAgentfile } from "../agentfile/parse.js";
import { agentMethods } from "./agent-handlers.js";

let ws: string;
let recorded: JournalRecord[];
const ctx = { actor: { id: "agent:w", kind: "agent" as const, session: "s1" }, trace: "ab".repeat(16) };

beforeEach(() => {
  ws = mkdtempSync(join(tmpdir(), "ostk-ah-"));
  recorded = [];
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

const methods = () =>
  agentMethods({
    workspace: ws,
    record: async (r) => {
      recorded.push(r);
      return { ...r, seq: recorded.length } as unknown as JournalEntry;
    },
  });

describe("agent/spawn", () => {
  it("re-hashes an Agentfile inside the workspace and journals the hash with the caller and trace", async () => {
    writeFileSync(join(ws, "w.af"), "FROM auto\n");
    const sha = hashAgentfile("FROM auto\n");
    expect(await methods()["agent/spawn"]({ sha256: sha, path: join(ws, "w.af"), name: "w" }, ctx)).toEqual({
      seq: 1,
      sha256: sha,
    });
    expect(recorded[0]).toMatchObject({
      event: "agent.spawn",
      actor: ctx.actor,
      trace: ctx.trace,
      path: "w.af",
      data: { agentfile_sha256: sha, kernel_hashed: true, name: "w" },
    });
  });

  it("refuses when the file changed since the runner parsed it, and journals nothing", async () => {
    writeFileSync(join(ws, "w.af"), "FROM auto\nTOOL bash\n");
    await expect(
      methods()["agent/spawn"]({ sha256: hashAgentfile("FROM auto\n"), path: "w.af" }, ctx),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/changed since it was parsed.*nothing ran/),
    });
    expect(recorded).toEqual([]);
  });

  it("rejects a malformed hash and unknown lifecycle events", async () => {
    await expect(methods()["agent/spawn"]({ sha256: "nope" }, ctx)).rejects.toMatchObject({ code: -32602 });
    await expect(methods()["agent/event"]({ event: "fs.commit" }, ctx)).rejects.toMatchObject({
      code: -32602,
    });
    expect(await methods()["agent/event"]({ event: "agent.end", data: { turns: 2 } }, ctx)).toEqual({
      seq: 1,
    });
  });
});
