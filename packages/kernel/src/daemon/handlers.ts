import { type CallerIdentity, type JournalEntry, OstkRpcError } from "@ostk/lib";
import type { KernelCore } from "../core/kernel-core.js";
import type { CallContext } from "../core/types.js";
import { queryEntries } from "../journal/read.js";
import type { VerifyResult } from "../journal/verify.js";
import type { GenRow } from "../occ/gen-table.js";
import { negotiateGrant } from "../policy/capability-grant.js";
import type { SessionsDb } from "../store/sessions-db.js";
import { fsDelete, fsEdit, fsMkdir, fsMove, fsRead, fsWrite } from "../syscalls/file-ops.js";
import { asParams, bool, int, str } from "../syscalls/params.js";
import { fsGlob, fsList, fsSearch, fsStat } from "../syscalls/query-ops.js";
import { type PolicyGuard, scopeRequestOf } from "./policy-guard.js";
import { matches, type Subscriptions } from "./subscriptions.js";

/** What a kernel method sees: the caller as journaled, plus the connection it came on (absent in-process). */
export interface KernelCallContext extends CallContext {
  identity?: CallerIdentity;
  /** Send a notification back to the caller's connection. */
  notify(method: string, params: Record<string, unknown>): void;
  /** Register cleanup for when the caller's connection closes. */
  onClose(cb: () => void): void;
  signal?: AbortSignal;
}

export type KernelMethod = (params: unknown, ctx: KernelCallContext) => Promise<unknown>;

export interface HandlerDeps {
  core: KernelCore;
  sessions: SessionsDb;
  subs: Subscriptions;
  guard: PolicyGuard;
  verify(): Promise<VerifyResult>;
  status(): Record<string, unknown>;
}

const INTERNAL_EVENTS = new Set(["fs.intent"]);

/** An entry is shown to a caller only when every path it names passes the caller's read decision. */
function entryVisible(e: JournalEntry, visible: (rel: string) => boolean): boolean {
  if (e.path !== undefined && !visible(e.path)) return false;
  return typeof e.data?.to !== "string" || visible(e.data.to);
}

export function kernelMethods(d: HandlerDeps): Record<string, KernelMethod> {
  const { core } = d;
  return {
    "fs/read": (p, c) => fsRead(core, c, p),
    "fs/write": (p, c) => fsWrite(core, c, p),
    "fs/edit": (p, c) => fsEdit(core, c, p),
    "fs/list": (p, c) => fsList(core, c, p, d.guard.readable(c)),
    "fs/glob": (p, c) => fsGlob(core, c, p, d.guard.readable(c)),
    "fs/stat": (p, c) => fsStat(core, c, p),
    "fs/search": (p, c) => fsSearch(core, c, p, d.guard.readable(c)),
    "fs/mkdir": (p, c) => fsMkdir(core, c, p),
    "fs/move": (p, c) => fsMove(core, c, p),
    "fs/delete": (p, c) => fsDelete(core, c, p),

    "journal/query": async (raw, c) => {
      const p = asParams(raw);
      const events = p.events;
      if (events !== undefined && (!Array.isArray(events) || events.some((e) => typeof e !== "string")))
        throw new OstkRpcError("InvalidParams", "events: must be an array of strings");
      const entries = queryEntries(core.ws.stateDir, {
        sinceSeq: int(p, "since_seq", { min: 0 }),
        sinceTs: int(p, "since_ts"),
        path: str(p, "path", { optional: true, allowEmpty: true }),
        actor: str(p, "actor", { optional: true }),
        events: events as string[] | undefined,
        limit: int(p, "limit", { min: 1, max: 100_000 }),
      });
      const visible = d.guard.readable(c);
      return { entries: entries.filter((e) => entryVisible(e, visible)), head_seq: core.journal.lastSeq };
    },

    "audit/verify": async () => d.verify(),

    "gen/lookup": async (raw, c) => {
      const p = asParams(raw);
      const paths = p.paths;
      if (paths !== undefined && (!Array.isArray(paths) || paths.some((x) => typeof x !== "string")))
        throw new OstkRpcError("InvalidParams", "paths: must be an array of strings");
      const visible = d.guard.readable(c);
      let rows: GenRow[];
      if (paths === undefined) rows = core.gens.all().filter((r) => visible(r.path));
      else {
        rows = [];
        for (const x of paths as string[]) {
          const rel = core.ws.resolve(x).rel;
          if (!visible(rel)) continue;
          const row = await core.refresh(rel, c);
          if (row) rows.push(row);
        }
      }
      return { rows: rows.map(({ history: _h, ...r }) => r) };
    },

    "session/negotiate": async (raw, c) => {
      const p = asParams(raw);
      const scope = (p.scope ?? {}) as { pins?: string[]; capabilities?: string[]; ttl_ms?: number };
      if (typeof scope !== "object" || Array.isArray(scope))
        throw new OstkRpcError("InvalidParams", "scope: must be an object");
      const label = str(p, "label", { optional: true });
      // Attenuation only: the grant is at most what the active pin allows (fail-closed if it does not parse).
      const requested = scope.capabilities ?? [];
      const request = scopeRequestOf(requested);
      const grant = negotiateGrant(d.guard.pin(), request);
      const row = d.sessions.open({
        client: c.identity?.name ?? c.actor.id,
        client_version: "",
        kind: c.actor.kind,
        actor_id: c.actor.id,
        scope,
        peer: c.actor.peer,
      });
      d.guard.grants.set(row.id, grant);
      const dropped = new Set(grant.dropped);
      const granted = requested.filter((cap) => !dropped.has(cap));
      const denied = requested
        .filter((cap) => dropped.has(cap))
        .map((capability) => ({ capability, reason: `the active pin "${grant.pin}" does not allow it` }));
      core.record({
        event: "session.grant",
        actor: { ...c.actor, session: row.id },
        trace: c.trace,
        data: { label, requested: scope, pin: grant.pin, granted, dropped: grant.dropped },
      });
      return {
        session: row.id,
        granted,
        denied,
        reason: requested.length
          ? `at most what pin "${grant.pin}" allows; it is enforced on every call of this session`
          : `no narrowing requested: pin "${grant.pin}" decides every call`,
        ...(scope.ttl_ms ? { expires_at: Date.now() + scope.ttl_ms } : {}),
      };
    },

    "session/list": async (raw) => {
      const p = asParams(raw);
      const active = bool(p, "active") ?? false;
      return {
        sessions: d.sessions.list(active).map((s) => ({
          id: s.id,
          client: s.client,
          client_version: s.client_version,
          kind: s.kind,
          started_at: s.started_at,
          last_seen: s.last_seen,
          tool_calls: s.tool_calls,
          tokens: s.tokens,
          active: s.ended_at === null,
          ...(s.peer ? { peer: JSON.parse(s.peer) } : {}),
        })),
      };
    },

    "client/subscribe": async (raw, c) => {
      const p = asParams(raw);
      const paths = p.paths as string[] | undefined;
      const events = p.events as string[] | undefined;
      const since = int(p, "since_seq", { min: 0 });
      let id = "";
      let replaying = since !== undefined;
      const buffered: JournalEntry[] = [];
      let last = since ?? core.journal.durable;
      // The pin in force when the entry is sent decides (a pin that no longer parses hides everything).
      const shown = (e: JournalEntry) => {
        try {
          return entryVisible(e, d.guard.readable(c));
        } catch {
          return false;
        }
      };
      const send = (e: JournalEntry) => {
        if (e.seq <= last || !shown(e)) return;
        last = e.seq;
        c.notify("journal/event", { subscription: id, entry: e });
      };
      id = d.subs.add({ paths, events }, (e) => (replaying ? buffered.push(e) : send(e)));
      c.onClose(() => d.subs.remove(id));
      if (since !== undefined) {
        const past = queryEntries(core.ws.stateDir, { sinceSeq: since, limit: 100_000 }).filter(
          (e) => !INTERNAL_EVENTS.has(e.event) && e.seq <= core.journal.durable,
        );
        // Deliver after the reply, so the client knows the subscription id first.
        setImmediate(() => {
          for (const e of past) if (matches({ paths, events }, e)) send(e);
          replaying = false;
          for (const e of buffered.splice(0)) send(e);
        });
      }
      return { subscription: id, head_seq: core.journal.lastSeq };
    },

    "client/unsubscribe": async (raw) => {
      const p = asParams(raw);
      return { ok: d.subs.remove(str(p, "subscription", {})) };
    },

    "kernel/projection": async (raw, c) => {
      const p = asParams(raw);
      const sinceSeq = int(p, "since_seq", { min: 0 }) ?? 0;
      const maxFiles = int(p, "max_files", { min: 1, max: 10_000 }) ?? 50;
      const visible = d.guard.readable(c);
      const changed = new Map<string, JournalEntry>();
      for (const e of queryEntries(core.ws.stateDir, { sinceSeq, events: ["fs.commit"], limit: 100_000 })) {
        if (e.path && visible(e.path)) changed.set(e.path, e);
        if (typeof e.data?.to === "string" && visible(e.data.to)) changed.set(e.data.to, e);
      }
      const files = [...changed.keys()]
        .map((path) => {
          const row = core.gens.get(path);
          return {
            path,
            gen: row?.gen ?? 0,
            writer: row?.writer ?? "",
            ts: row?.ts ?? 0,
            sha256: row?.sha256 ?? null,
          };
        })
        .sort((a, b) => b.ts - a.ts)
        .slice(0, maxFiles);
      const now = Date.now();
      const text = [
        `[kernel] workspace:${core.ws.root} head_seq:${core.journal.lastSeq} tracked:${core.gens.size}`,
        ...files.map(
          (f) =>
            `[files] ${f.path}:gen=${f.gen}:${f.writer}:${Math.round((now - f.ts) / 1000)}s${f.sha256 === null ? ":deleted" : ""}`,
        ),
      ].join("\n");
      return { workspace: core.ws.root, head_seq: core.journal.lastSeq, files, text };
    },

    "kernel/status": async () => d.status(),
  };
}
