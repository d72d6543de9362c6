import * as path from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { tmpWorkspace } from "../../test/helpers/tmp.js";
import { SessionsDb } from "./sessions-db.js";

it("a sessions.db from before the peer column gains it and keeps its rows", async () => {
  await using t = tmpWorkspace();
  const file = path.join(t.dir, "sessions.db");
  const old = new Database(file);
  old.exec(`CREATE TABLE sessions (id TEXT PRIMARY KEY, client TEXT NOT NULL, client_version TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL, actor_id TEXT NOT NULL, started_at INTEGER NOT NULL, last_seen INTEGER NOT NULL,
    tool_calls INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0, ended_at INTEGER, scope TEXT)`);
  old
    .prepare(
      "INSERT INTO sessions (id, client, kind, actor_id, started_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .run("s-old", "claude-code", "agent", "claude-code", 1, 1);
  old.close();
  const db = new SessionsDb(file);
  expect(db.get("s-old")).toMatchObject({ client: "claude-code", peer: null });
  const fresh = db.open({
    client: "cli",
    kind: "human",
    actor_id: "cli",
    peer: { pid: 42, uid: 1000, exe: "/usr/bin/node" },
  });
  expect(JSON.parse(db.get(fresh.id)!.peer!)).toEqual({ pid: 42, uid: 1000, exe: "/usr/bin/node" });
  expect(
    db
      .list()
      .map((s) => s.id)
      .sort(),
  ).toEqual([fresh.id, "s-old"].sort());
  db.close();
  expect(() => new SessionsDb(file).close()).not.toThrow(); // opening again does not add the column twice
});
