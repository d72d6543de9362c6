import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type CallerIdentity,
  type JournalActor,
  type JournalEntry,
  type JournalPeer,
  OstkError,
  OstkRpcError,
  type RpcServer,
  serveRpc,
  toRpcError,
} from "@ostk/lib";
import { ApprovalGate } from "../approvals/approval-gate.js";
import { ApprovalStore } from "../approvals/approval-store.js";
import { KernelCore } from "../core/kernel-core.js";
import { verifyJournalDir } from "../journal/verify.js";
import { SessionsDb } from "../store/sessions-db.js";
import { TelemetryDb } from "../store/telemetry-db.js";
import { type Logger, silentLogger } from "../util/logger.js";
import { AnchorLock } from "./anchor-lock.js";
import { loadConfig } from "./config.js";
import { type KernelCallContext, type KernelMethod, kernelMethods } from "./handlers.js";
import { defaultKeyDir, KEY_FILE, loadSigner, trustedKeys } from "./keys.js";
import { createPolicyGuard, type PolicyGuard } from "./policy-guard.js";
import { scanExternalChanges } from "./scan.js";
import { socketPeer } from "./socket-peer.js";
import { type SubscriptionFilter, Subscriptions } from "./subscriptions.js";

export const KERNEL_VERSION = "0.1.0";

export interface StartKernelOptions {
  /** Workspace root (the directory that holds `.ostk/`). */
  workspace: string;
  /** Signing key file; default `<key dir>/signing.key` (see `defaultKeyDir`). */
  keyPath?: string;
  /** Socket path; default `<workspace>/.ostk/ostk.sock`. `false`: no socket (in-process use only). */
  socketPath?: string | false;
  logger?: Logger;
  /** Extra JSON-RPC methods (e.g. exec and approvals from the sandbox layer). */
  methods?: Record<string, KernelMethod>;
  /** Called once the kernel is open, before the socket serves: returns more methods built on the handle. */
  extend?: (k: KernelHandle) => Record<string, KernelMethod> | Promise<Record<string, KernelMethod>>;
  /** Benchmarks only: skip fdatasync / signing. */
  durable?: boolean;
  sign?: boolean;
}

export interface KernelHandle {
  readonly workspace: string;
  socketPath: string | null;
  readonly core: KernelCore;
  readonly sessions: SessionsDb;
  readonly telemetry: TelemetryDb;
  readonly keyDir: string;
  /** The approval gate (pending requests in sessions.db) every channel plugs into. */
  readonly gate: ApprovalGate;
  /** The decision chain in front of the file syscalls. */
  readonly guard: PolicyGuard;
  /** Call a kernel method in-process, as `identity`. */
  call(method: string, params?: Record<string, unknown>, identity?: CallerIdentity): Promise<unknown>;
  /** Committed journal entries (not intents), once durable. Returns an unsubscribe function. */
  subscribe(filter: SubscriptionFilter, cb: (e: JournalEntry) => void): () => void;
  on(event: "commit", cb: (e: JournalEntry) => void): KernelHandle;
  off(event: "commit", cb: (e: JournalEntry) => void): KernelHandle;
  /** Add methods after start (served on the socket too). */
  addMethods(methods: Record<string, KernelMethod>): void;
  /** Stop accepting, finish in-flight calls, flush + fsync the journal, close databases, release the lock. */
  close(): Promise<void>;
}

const ACTOR_KINDS = new Set(["agent", "human", "kernel", "integration", "mcp", "external"]);

/** The journal actor for a caller identity (self-claimed; "kernel" and "external" are reserved). */
export function actorOf(identity: CallerIdentity | undefined, peer?: JournalPeer): JournalActor {
  let actor: JournalActor;
  if (!identity || typeof identity.id !== "string" || !identity.id)
    actor = { id: "anonymous", kind: "agent" };
  else {
    let kind = ACTOR_KINDS.has(identity.kind) ? identity.kind : "agent";
    if (kind === "kernel" || kind === "external") kind = "agent";
    actor = { id: identity.id.slice(0, 200), kind };
    if (identity.session) actor.session = identity.session;
  }
  if (peer) actor.peer = peer;
  return actor;
}

/** Start a kernel for one workspace: recover, open databases, take the anchor lock, serve the socket. */
export async function startKernel(opts: StartKernelOptions): Promise<KernelHandle> {
  const logger = opts.logger ?? silentLogger;
  const workspace = fs.realpathSync(opts.workspace);
  const stateDir = path.join(workspace, ".ostk");
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const cfg = loadConfig(workspace);
  if (!cfg.ok)
    throw new OstkError(
      "ConfigInvalid",
      `the kernel configuration is invalid; the daemon did not start:\n  ${cfg.errors.join("\n  ")}\nFix or remove these settings (\`ostk config show\` lists the effective ones) and retry.`,
    );
  for (const w of cfg.warnings) logger.warn({ warning: w }, "config");
  const keyDir = opts.keyPath ? path.dirname(opts.keyPath) : (cfg.config.key_dir ?? defaultKeyDir());
  const keyPath = opts.keyPath ?? path.join(keyDir, KEY_FILE);
  const signer = loadSigner(keyPath);
  const lock = AnchorLock.acquire(path.join(stateDir, "anchor.lock"));
  let core: KernelCore;
  let sessions: SessionsDb;
  let telemetry: TelemetryDb;
  try {
    core = await KernelCore.open({
      workspace,
      signer,
      logger,
      durable: opts.durable,
      sign: opts.sign,
      rotateBytes: cfg.config.journal.rotate_bytes,
      checkpointEvery: cfg.config.journal.checkpoint_every,
      maxFileBytes: cfg.config.limits.max_file_bytes,
    });
    sessions = new SessionsDb(path.join(stateDir, "sessions.db"));
    telemetry = new TelemetryDb(path.join(stateDir, "telemetry.db"));
  } catch (err) {
    lock.release();
    throw err;
  }
  const gate = new ApprovalGate({ store: new ApprovalStore(sessions.db), logger });
  const guard = createPolicyGuard(core, gate, (id) => sessions.get(id)?.scope);
  const started = Date.now();
  const subs = new Subscriptions();
  const events = new EventEmitter();
  core.on("commit", (e: JournalEntry) => {
    subs.publish(e);
    events.emit("commit", e);
  });
  await scanExternalChanges(core);
  let server: RpcServer | null = null;
  const methods: Record<string, KernelMethod> = {};
  const status = () => ({
    pid: process.pid,
    version: KERNEL_VERSION,
    workspace,
    uptime_ms: Date.now() - started,
    head_seq: core.journal.lastSeq,
    durable_seq: core.journal.durable,
    key_id: signer.keyId,
    tracked_files: core.gens.size,
    connections: server?.connections.size ?? 0,
    in_flight: server?.inFlight ?? 0,
    sessions: subs.size,
  });
  Object.assign(
    methods,
    kernelMethods({
      core,
      sessions,
      subs,
      guard,
      status,
      verify: () => verifyJournalDir(stateDir, trustedKeys(keyDir)),
    }),
    opts.methods ?? {},
  );

  async function invoke(method: string, params: unknown, ctx: KernelCallContext): Promise<unknown> {
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!fn) throw new OstkRpcError("MethodNotFound", `method not found: ${method}`, { method });
    if (ctx.actor.session) {
      const s = sessions.get(ctx.actor.session);
      if (!s || s.ended_at !== null)
        throw new OstkRpcError(
          "SessionUnknown",
          `session ${ctx.actor.session} is unknown or has ended; negotiate a new one`,
        );
    }
    const t0 = performance.now();
    let code: number | null = null;
    try {
      await guard.check(method, params, ctx);
      return await fn(params, ctx);
    } catch (err) {
      const e = toRpcError(err);
      code = e.code;
      if (e.kind === "InternalError") logger.error({ err, method }, "kernel: method failed");
      throw e;
    } finally {
      telemetry.record({
        ts: Date.now(),
        trace_id: ctx.trace ?? null,
        actor: ctx.actor.id,
        session: ctx.actor.session ?? null,
        tool: method,
        duration_ms: performance.now() - t0,
        outcome: code === null ? "ok" : "error",
        error_code: code,
      });
      if (ctx.actor.session) sessions.touch(ctx.actor.session);
    }
  }

  const rpcHandlers = () =>
    Object.fromEntries(
      Object.keys(methods).map((name) => [
        name,
        (params: unknown, rctx: import("@ostk/lib").RpcHandlerContext) =>
          invoke(name, params, {
            actor: actorOf(rctx.identity, rctx.connection.peer),
            identity: rctx.identity,
            trace: rctx.traceId,
            notify: rctx.notify,
            onClose: (cb) => rctx.connection.onClose(cb),
            signal: rctx.signal,
            resolved: new Map(),
          }),
      ]),
    );

  const socketPath = opts.socketPath === false ? null : (opts.socketPath ?? path.join(stateDir, "ostk.sock"));

  let closing: Promise<void> | null = null;
  const handle: KernelHandle = {
    workspace,
    socketPath,
    core,
    sessions,
    telemetry,
    keyDir,
    gate,
    guard,
    call(method, params = {}, identity) {
      return invoke(method, params, {
        actor: actorOf(identity ?? { id: "in-process", kind: "integration" }),
        identity,
        notify: () => {},
        onClose: () => {},
        resolved: new Map(),
      });
    },
    subscribe(filter, cb) {
      const id = subs.add(filter, cb);
      return () => subs.remove(id);
    },
    on(_event, cb) {
      events.on("commit", cb);
      return handle;
    },
    off(_event, cb) {
      events.off("commit", cb);
      return handle;
    },
    addMethods(extra) {
      Object.assign(methods, extra);
      if (server)
        logger.warn(
          { methods: Object.keys(extra) },
          "kernel: methods added after start are served in-process only",
        );
    },
    close() {
      closing ??= (async () => {
        await server?.close();
        await core.close();
        sessions.close();
        telemetry.close();
        lock.release();
        logger.info({ seq: core.journal.lastSeq }, "kernel stopped");
      })();
      return closing;
    },
  };
  try {
    if (opts.extend) Object.assign(methods, await opts.extend(handle));
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (socketPath) {
    try {
      server = await serveRpc({
        socketPath,
        handlers: rpcHandlers(),
        maxFrameBytes: cfg.config.limits.max_frame_bytes,
        logger,
        peerOf: socketPeer,
      });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
  logger.info({ workspace, socketPath, seq: core.journal.lastSeq, key_id: signer.keyId }, "kernel started");
  return handle;
}
