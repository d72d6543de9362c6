import { createHash } from "node:crypto";
import { join } from "node:path";
import { OstkRpcError } from "../src/errors.js";
import type { JournalEntry } from "../src/journal/entry.js";
import { type RpcConnection, type RpcServer, serveRpc } from "../src/rpc/serve-rpc.js";

/**
 * A kernel-shaped RPC server for lib tests: session/negotiate, client/subscribe
 * with journal/event notifications (with since_seq replay), and `x/commit` to
 * append an entry. The real kernel lives in @ostk/kernel (AGPL); lib never imports it.
 */
export async function startFakeKernel(dir: string, socketPath = join(dir, ".ostk", "ostk.sock")) {
  const entries: JournalEntry[] = [];
  const files = new Map<string, { content: string; gen: number }>();
  const sessions = new Map<string, { granted: string[] }>();
  let nextSub = 1;
  let server: RpcServer;
  const subs = new Map<string, { conn: RpcConnection; events?: string[]; paths?: string[] }>();
  const matches = (s: { events?: string[]; paths?: string[] }, e: JournalEntry) =>
    (!s.events || s.events.includes(e.event)) && (!s.paths || s.paths.some((p) => e.path?.startsWith(p)));
  const commit = (path: string, op: string, actor = "kernel", session?: string) => {
    const e: JournalEntry = {
      v: 1,
      seq: entries.length + 1,
      ts: Date.now(),
      event: "fs.commit",
      actor: { id: actor, kind: "agent", ...(session ? { session } : {}) },
      path,
      data: { op },
      prev_hash: "0".repeat(64),
      key_id: "0".repeat(16),
      sig: "0".repeat(128),
    };
    entries.push(e);
    for (const [id, s] of subs)
      if (matches(s, e)) s.conn.notify("journal/event", { subscription: id, entry: e });
    return e;
  };
  const start = async () => {
    server = await serveRpc({
      socketPath,
      checkResults: true,
      handlers: {
        "session/negotiate": (p: { scope: { pins?: string[]; capabilities?: string[] } }) => {
          const want = [...(p.scope.pins ?? []).map((x) => `pin:${x}`), ...(p.scope.capabilities ?? [])];
          const granted = want.filter((c) => !c.startsWith("write:.ostk"));
          const denied = want
            .filter((c) => c.startsWith("write:.ostk"))
            .map((capability) => ({ capability, reason: "write-kernel: .ostk/ is governance state" }));
          const session = `s-${nextSub++}`;
          sessions.set(session, { granted });
          return { session, granted, denied, reason: denied.length ? "partially granted" : "granted" };
        },
        "client/subscribe": (p: { events?: string[]; paths?: string[]; since_seq?: number }, ctx) => {
          const id = `sub-${nextSub++}`;
          subs.set(id, { conn: ctx.connection, events: p.events, paths: p.paths });
          ctx.connection.onClose(() => subs.delete(id));
          if (p.since_seq !== undefined) {
            const replay = entries.filter((e) => e.seq > (p.since_seq ?? 0) && matches(subs.get(id)!, e));
            queueMicrotask(() => {
              for (const e of replay) ctx.notify("journal/event", { subscription: id, entry: e });
            });
          }
          return { subscription: id, head_seq: entries.length };
        },
        "client/unsubscribe": (p: { subscription: string }) => subs.delete(p.subscription),
        "x/write": (p: { path: string; content: string }, ctx) => {
          const gen = (files.get(p.path)?.gen ?? 0) + 1;
          files.set(p.path, { content: p.content, gen });
          const e = commit(p.path, "write", ctx.identity?.id, ctx.identity?.session);
          return { seq: e.seq, generation: gen };
        },
        "fs/read": (p: { path: string }) => {
          const f = files.get(p.path);
          if (!f) throw new OstkRpcError("NotFound", `${p.path} does not exist`, { path: p.path });
          const sha = createHash("sha256").update(f.content).digest("hex");
          return {
            path: p.path,
            content: f.content,
            encoding: "utf8",
            gen: f.gen,
            sha256: sha,
            size: Buffer.byteLength(f.content),
          };
        },
        "fs/write": (p: { path: string; content: string; expected_gen?: number }, ctx) => {
          const session = ctx.identity?.session ? sessions.get(ctx.identity.session) : undefined;
          if (p.path.startsWith(".ostk/"))
            throw new OstkRpcError(
              "ProtectedPath",
              `policy denied write to ${p.path}: .ostk/ is governance state`,
            );
          if (
            session &&
            !session.granted.some(
              (g) =>
                g === "write:**" ||
                (g.startsWith("write:") && p.path.startsWith(g.slice(6).replace("**", ""))),
            )
          )
            throw new OstkRpcError(
              "PolicyDenied",
              `policy denied write to ${p.path}: the session was not granted write access`,
              {
                reason: "session scope",
              },
            );
          const cur = files.get(p.path);
          if (p.expected_gen !== undefined && (cur?.gen ?? 0) !== p.expected_gen)
            throw new OstkRpcError(
              "RevisionConflict",
              `${p.path} is at generation ${cur?.gen ?? 0}, not ${p.expected_gen}`,
              {
                current_gen: cur?.gen ?? 0,
              },
            );
          const gen = (cur?.gen ?? 0) + 1;
          files.set(p.path, { content: p.content, gen });
          const e = commit(p.path, "write", ctx.identity?.id, ctx.identity?.session);
          const sha = createHash("sha256").update(p.content).digest("hex");
          return {
            path: p.path,
            gen,
            sha256: sha,
            size: Buffer.byteLength(p.content),
            created: !cur,
            seq: e.seq,
          };
        },
        "kernel/status": () => ({
          pid: process.pid,
          workspace: dir,
          head_seq: entries.length,
          key_id: "0".repeat(16),
        }),
      },
    });
  };
  await start();
  return {
    socketPath,
    entries,
    commit,
    get server() {
      return server;
    },
    async restart() {
      await server.close();
      subs.clear();
      await start();
    },
    close: () => server.close(),
  };
}
