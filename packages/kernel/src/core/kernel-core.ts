import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import {
  type JournalActor,
  type JournalEntry,
  type JournalRecord,
  OstkRpcError,
  type Signer,
  sha256Hex,
} from "@ostk/lib";
import { Journal } from "../journal/journal.js";
import { ObjectStore } from "../journal/objects.js";
import { readEntries } from "../journal/read.js";
import { type GenRow, GenTable } from "../occ/gen-table.js";
import { atomicWriteFile, fsyncDir, writeTempAt } from "../util/durable.js";
import { eachLimited } from "../util/each-limited.js";
import { type Logger, silentLogger } from "../util/logger.js";
import { KeyedMutex } from "../util/mutex.js";
import { type FileStamp, replaceFile, syncFiles, writeAndReplace } from "../util/replace-file.js";
import { Workspace } from "../workspace/confine.js";
import { recoverIntents } from "./recovery.js";
import { APPLIED_FILE, type CallContext, EXTERNAL_ACTOR, KERNEL_ACTOR } from "./types.js";

export interface KernelCoreOptions {
  workspace: string;
  signer: Signer;
  logger?: Logger;
  /** false: no fdatasync (benchmarks measuring other costs only). */
  durable?: boolean;
  /** false: entries unsigned (benchmarks measuring the cost of signing only). */
  sign?: boolean;
  rotateBytes?: number;
  checkpointEvery?: number;
  /** Max file size read/written through syscalls (bytes). Default 32 MiB. */
  maxFileBytes?: number;
  /** How long a file must have been still before its stamp stands for its content (ms). Default RACY_MS. */
  racyMs?: number;
}

/** What the kernel currently knows about a file after looking at the disk. */
export interface Observed {
  rel: string;
  abs: string;
  exists: boolean;
  isFile: boolean;
  content: Buffer | null;
  row: GenRow | null;
  stat: fs.Stats | null;
}

/** Content up to this size is carried in the intent (base64), so its apply can be synced in the background. */
export const INLINE_MAX = 256 * 1024;
/**
 * How long applied-but-unsynced changes wait for the background group sync. Longer means fewer
 * fsyncs (a file rewritten many times in the window is fsynced once) and less competition with the
 * callers' intent fdatasyncs; the cost is only more commits for recovery to re-check, since every
 * change in the window is redoable from its durable intent.
 */
const SYNC_INTERVAL_MS = 1000;
/**
 * How long a committed entry (not an intent) may wait for an fdatasync of its own. A commit needs no
 * prompt fsync (its intent is durable, so recovery completes the change; the reply does not wait
 * for it); while writes keep coming, the next intent's group fdatasync carries it, so this timer
 * only fires when the kernel goes quiet. At 2 ms it fired between two writes of one client and
 * doubled the fdatasyncs.
 */
const COMMIT_FLUSH_MS = 10;
/** Background fsync jobs at once (each syncs its share of the files in turn): leaves thread-pool threads for the callers' fdatasync and I/O. */
const SYNC_CONCURRENCY = 2;

/** Who a detected change is attributed to (instead of "external"), e.g. the caller of a shell command. */
export interface Attribution {
  actor: JournalActor;
  op: string;
  data?: Record<string, unknown>;
}

/** How one operation journals and applies itself (see `KernelCore.apply`). */
interface ApplyPlan {
  /** hash_after of the intent (a move's is null: the source path ends empty). */
  intentHash: string | null;
  /** Content hash of the source path after the change. */
  hashAfter: string | null;
  intentData: Record<string, unknown>;
  commitData: Record<string, unknown>;
  /** Runs once the intent is appended: waits for it to be durable, then changes the disk. */
  apply(): Promise<void>;
  /** The stat to track for a path after the change (null: no content there). */
  stat(abs: string): FileStamp | null;
  /** Undo leftovers of a failed apply (the temp file). */
  cleanup?(): void;
}

export interface ApplyRequest {
  op: "write" | "edit" | "delete" | "move";
  ctx: CallContext;
  obs: Observed;
  /** New content (write/edit/move keeps the source's). */
  content?: Buffer;
  /** Destination for a move. */
  to?: Observed;
  data?: Record<string, unknown>;
}

/**
 * The kernel's write path and state: journal, object store, generation table, per-path locks.
 * Every change goes intent → fsync → atomic apply → commit; reads observe the disk and journal
 * changes made outside the kernel.
 */
export class KernelCore extends EventEmitter {
  readonly ws: Workspace;
  readonly journal: Journal;
  readonly objects: ObjectStore;
  readonly gens: GenTable;
  readonly locks = new KeyedMutex();
  readonly logger: Logger;
  readonly maxFileBytes: number;
  private readonly racyMs: number;
  private openIntents = 0;
  /**
   * Per path, the generation-table row whose content `observe` last confirmed by hashing, and when
   * (wall-clock ms, taken before the fstat that gave the stamp). See `observe` for when it is trusted.
   */
  private readonly verified = new Map<string, { row: GenRow; at: number }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private genSnapshotFile: string;

  private constructor(opts: KernelCoreOptions, ws: Workspace, journal: Journal, gens: GenTable) {
    super();
    this.ws = ws;
    this.journal = journal;
    this.objects = new ObjectStore(path.join(ws.stateDir, "objects"));
    this.gens = gens;
    this.logger = opts.logger ?? silentLogger;
    this.maxFileBytes = opts.maxFileBytes ?? 32 * 1024 * 1024;
    this.racyMs = opts.racyMs ?? RACY_MS;
    this.genSnapshotFile = path.join(ws.stateDir, "gen_table.json");
    journal.rotationAllowed = () => this.openIntents === 0;
    journal.on("append", (e: JournalEntry) => this.queuePublish(e));
    // Any fdatasync (most often the next writer's intent group) publishes what it made durable.
    journal.on("durable", () => {
      try {
        this.publishDurable();
      } catch (err) {
        this.logger.error({ err }, "publishing committed entries failed");
      }
    });
    journal.on("rotate", () => this.gens.save(this.genSnapshotFile));
  }

  /** Open the journal, replay it into the generation table, and recover incomplete intents. */
  static async open(opts: KernelCoreOptions): Promise<KernelCore> {
    const ws = new Workspace(opts.workspace);
    fs.mkdirSync(ws.stateDir, { recursive: true, mode: 0o700 });
    const journal = Journal.open({
      stateDir: ws.stateDir,
      signer: opts.signer,
      logger: opts.logger,
      durable: opts.durable,
      sign: opts.sign,
      rotateBytes: opts.rotateBytes,
      checkpointEvery: opts.checkpointEvery,
    });
    const gens = GenTable.load(path.join(ws.stateDir, "gen_table.json"));
    if (gens.seq > journal.lastSeq) gens.seq = 0; // snapshot from another history: rebuild
    for (const e of readEntries(ws.stateDir, { afterSeq: gens.seq })) gens.apply(e);
    const core = new KernelCore(opts, ws, journal, gens);
    const recovered = await recoverIntents(core);
    if (recovered.length) core.logger.warn({ recovered }, "kernel: recovered incomplete intents");
    await journal.flush();
    return core;
  }

  /** Append a committed entry (not an intent) and schedule group flush; subscribers see it once durable. */
  record(record: JournalRecord): JournalEntry {
    const entry = this.journal.append(record);
    this.scheduleFlush();
    return entry;
  }

  /** Append and wait until durable. */
  async recordDurable(record: JournalRecord): Promise<JournalEntry> {
    const e = this.record(record);
    await this.journal.flush();
    return e;
  }

  private pendingPublish: JournalEntry[] = [];

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.journal.flush().then(
        () => this.publishDurable(),
        (err) => this.logger.error({ err }, "journal flush failed"),
      );
    }, COMMIT_FLUSH_MS);
  }

  /** Called by the journal's append hook: queue committed entries for subscribers. */
  queuePublish(e: JournalEntry): void {
    if (e.event !== "fs.intent") this.pendingPublish.push(e);
  }

  private checkpointTimer: NodeJS.Timeout | null = null;

  private publishDurable(): void {
    // An idle journal gets a signed checkpoint soon, so a cut tail is detectable between restarts too.
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (this.journal.durable === this.journal.lastSeq) this.journal.checkpoint();
    }, 500);
    this.checkpointTimer.unref();
    const upTo = this.journal.durable;
    while (this.pendingPublish.length && this.pendingPublish[0].seq <= upTo) {
      const e = this.pendingPublish.shift()!;
      this.emit("commit", e);
    }
  }

  /**
   * Look at a path now: read it (size-capped), hash it, compare with the generation table, and
   * journal an external change (gen + 1) when the content differs from what the kernel last saw.
   */
  async observe(rel: string, abs: string, ctx?: CallContext, as?: Attribution): Promise<Observed> {
    let stat: fs.Stats | null = null;
    try {
      stat = fs.lstatSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    let row = this.gens.get(rel) ?? null;
    if (!stat?.isFile()) {
      if (row && row.sha256 !== null && !stat)
        row = this.externalChange(rel, row, null, null, ctx, undefined, as);
      return { rel, abs, exists: stat !== null, isFile: false, content: null, row, stat };
    }
    if (stat.size > this.maxFileBytes) {
      throw new OstkRpcError(
        "TooLarge",
        `${rel} is ${stat.size} bytes, over the ${this.maxFileBytes}-byte limit`,
        {
          path: rel,
          size: stat.size,
        },
      );
    }
    const lookedAt = Date.now();
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    let content: Buffer;
    try {
      this.ws.checkOpened(fd, rel);
      stat = fs.fstatSync(fd);
      content = stat.size === 0 ? Buffer.alloc(0) : Buffer.allocUnsafe(stat.size);
      let off = 0;
      while (off < content.length) {
        const n = fs.readSync(fd, content, off, content.length - off, off);
        if (n === 0) break;
        off += n;
      }
      if (off < content.length) content = content.subarray(0, off);
    } finally {
      fs.closeSync(fd);
    }
    // A row whose stamp a hash confirmed at `at`, when the file had by then been still for longer than
    // any timestamp granularity (see RACY_MS): while the stamp is unchanged, so is the content.
    const st = stat;
    const settled = (r: GenRow, at: number) => sameStamp(r, st) && r.ctime + this.racyMs < at;
    const seen = this.verified.get(rel);
    const hash = row?.sha256 && seen?.row === row && settled(row, seen.at) ? row.sha256 : sha256Hex(content);
    const now = Date.now();
    if (!row || row.sha256 === null) {
      if (row && row.sha256 === null) {
        row = this.externalChange(rel, row, hash, stat, ctx, content, as);
      } else if (as) {
        // A file the kernel never saw, created by an attributed writer (e.g. a sandboxed command).
        const fresh: GenRow = {
          path: rel,
          gen: 0,
          sha256: null,
          size: 0,
          ino: 0,
          mtime: 0,
          ctime: 0,
          writer: "",
          ts: now,
          history: [],
        };
        row = this.externalChange(rel, fresh, hash, stat, ctx, content, as);
      } else {
        row = this.gens.set({
          path: rel,
          gen: 0,
          sha256: hash,
          ...statFields(stat),
          writer: "baseline",
          ts: now,
        });
        void this.objects.put(content, hash).catch(() => {});
      }
    } else if (row.sha256 !== hash) {
      row = this.externalChange(rel, row, hash, stat, ctx, content, as);
    } else if (row.ino !== stat.ino || row.mtime !== stat.mtimeMs || row.ctime !== stat.ctimeMs) {
      row = this.gens.set({ ...row, ...statFields(stat) });
    }
    if (row.sha256 === hash && settled(row, lookedAt)) this.verified.set(rel, { row, at: lookedAt });
    return { rel, abs, exists: true, isFile: true, content, row, stat };
  }

  /** Re-check one tracked path cheaply: stat first, re-read and hash only when the stat moved. */
  async refresh(rel: string, ctx?: CallContext): Promise<GenRow | undefined> {
    const row = this.gens.get(rel);
    if (!row) return undefined;
    const abs = path.join(this.ws.root, rel);
    let st: fs.Stats | null = null;
    try {
      st = fs.lstatSync(abs);
    } catch {
      st = null;
    }
    if (!st && row.sha256 === null) return row;
    if (
      st?.isFile() &&
      row.sha256 !== null &&
      st.size === row.size &&
      st.ino === row.ino &&
      st.mtimeMs === row.mtime &&
      st.ctimeMs === row.ctime
    )
      return row;
    const release = await this.locks.lock([rel]);
    try {
      return (await this.observe(rel, abs, ctx)).row ?? undefined;
    } finally {
      release();
    }
  }

  private externalChange(
    rel: string,
    row: GenRow,
    hash: string | null,
    stat: fs.Stats | null,
    ctx?: CallContext,
    content?: Buffer,
    as?: Attribution,
  ): GenRow {
    const gen = row.gen + 1;
    if (content && hash) void this.objects.put(content, hash).catch(() => {});
    this.record({
      event: "fs.commit",
      actor: as?.actor ?? EXTERNAL_ACTOR,
      trace: ctx?.trace,
      path: rel,
      gen_before: row.gen,
      gen_after: gen,
      hash_before: row.sha256,
      hash_after: hash,
      data: as
        ? { op: as.op, size: stat?.size ?? 0, ...as.data }
        : { op: "external", size: stat?.size ?? 0, noticed_by: ctx?.actor.id ?? "kernel" },
    });
    this.logger.info({ path: rel, gen }, "external change detected");
    return this.gens.set({
      path: rel,
      gen,
      sha256: hash,
      ...(stat ? statFields(stat) : { size: 0, ino: 0, mtime: 0, ctime: 0 }),
      writer: as?.actor.id ?? "external",
      ts: Date.now(),
    });
  }

  /**
   * Journal changes a command made (paths from a before/after snapshot) as `fs.commit` with
   * `op`, attributed to the caller, each with a generation bump and content hashes.
   */
  async attributeChanges(
    paths: string[],
    ctx: CallContext,
    op: string,
    data: Record<string, unknown> = {},
  ): Promise<{ path: string; gen: number; sha256: string | null }[]> {
    const out: { path: string; gen: number; sha256: string | null }[] = [];
    for (const p of [...new Set(paths)].sort()) {
      let r: { rel: string; abs: string };
      try {
        r = this.ws.resolve(p, { follow: false });
      } catch {
        continue;
      }
      if (r.rel.startsWith(".ostk/") || r.rel.includes(".ostk-tmp-")) continue;
      const release = await this.locks.lock([r.rel]);
      try {
        const before = this.gens.get(r.rel)?.gen;
        const obs = await this.observe(r.rel, r.abs, ctx, { actor: ctx.actor, op, data });
        if (obs.row && obs.row.gen !== before)
          out.push({ path: r.rel, gen: obs.row.gen, sha256: obs.row.sha256 });
      } catch (err) {
        this.logger.warn({ err, path: p }, "could not attribute a changed file");
      } finally {
        release();
      }
    }
    return out;
  }

  /**
   * Apply one change through the write-ahead protocol: intent appended → made durable (fdatasyncs
   * shared by concurrent callers: group commit) → the change applied atomically → commit
   * appended. On failure the temp file is removed and an `fs.abort` is journaled. Caller holds the
   * path lock(s).
   */
  async apply(req: ApplyRequest): Promise<{ entry: JournalEntry; row: GenRow; toRow?: GenRow }> {
    const { op, ctx, obs } = req;
    const genBefore = obs.row?.gen ?? 0;
    const hashBefore = obs.row?.sha256 ?? (obs.content ? sha256Hex(obs.content) : null);
    const change = {
      actor: ctx.actor,
      trace: ctx.trace,
      path: obs.rel,
      gen_before: genBefore,
      gen_after: genBefore + 1,
      hash_before: hashBefore,
    };
    const plan = await this.planApply(req);
    const intent = this.journal.append({
      event: "fs.intent",
      ...change,
      hash_after: plan.intentHash,
      data: { op, ...plan.intentData },
    });
    this.openIntents++;
    try {
      await plan.apply();
      const now = Date.now();
      const row = this.track(obs.rel, genBefore + 1, plan.hashAfter, plan.stat(obs.abs), ctx.actor.id, now);
      let toRow: GenRow | undefined;
      if (req.to) {
        const toGen = (req.to.row?.gen ?? 0) + 1;
        toRow = this.track(req.to.rel, toGen, hashBefore, plan.stat(req.to.abs), ctx.actor.id, now);
      }
      const entry = this.record({
        event: "fs.commit",
        ...change,
        hash_after: op === "move" ? hashBefore : plan.hashAfter,
        data: { op, intent: intent.seq, ...plan.commitData, ...req.data },
      });
      return { entry, row, toRow };
    } catch (err) {
      plan.cleanup?.();
      this.abort(intent, ctx, err);
      throw err;
    } finally {
      if (--this.openIntents === 0) this.journal.maybeRotate();
    }
  }

  /** What each operation journals in its intent and commit, and how it changes the disk once its intent is durable. */
  private async planApply(req: ApplyRequest): Promise<ApplyPlan> {
    const { op, obs } = req;
    const abs = obs.abs;
    const none = () => null;
    if (op === "delete") {
      return {
        intentHash: null,
        hashAfter: null,
        intentData: {},
        commitData: {},
        stat: none,
        apply: async () => {
          await this.journal.flush();
          await fsp.unlink(abs);
          this.markUnsynced(null, path.dirname(abs));
        },
      };
    }
    if (op === "move") {
      const to = req.to!;
      const toGenBefore = to.row?.gen ?? 0;
      const moved = {
        to: to.rel,
        to_gen_before: toGenBefore,
        to_gen_after: toGenBefore + 1,
      };
      let size = 0;
      return {
        intentHash: null,
        hashAfter: null,
        intentData: {
          ...moved,
          to_hash_before: to.row?.sha256 ?? (to.content ? sha256Hex(to.content) : null),
        },
        get commitData() {
          return { ...moved, size };
        },
        stat: (p) => {
          if (p !== to.abs) return null;
          const st = fs.statSync(p);
          size = st.size;
          return st;
        },
        apply: async () => {
          await this.journal.flush();
          await this.ensureDir(path.dirname(to.abs));
          await fsp.rename(abs, to.abs);
          this.markUnsynced(null, path.dirname(to.abs));
          this.markUnsynced(null, path.dirname(abs));
        },
      };
    }
    // write / edit
    const content = req.content!;
    const hashAfter = sha256Hex(content);
    // Inline content rides in the intent (and stays in memory for merges); larger content is stored
    // content-addressed under .ostk/objects/ so it can be rolled forward.
    const inline = content.length <= INLINE_MAX;
    const objectWrite = inline
      ? this.objects.remember(hashAfter, content)
      : this.objects.put(content, hashAfter);
    // A file that was just seen there has its directory: no need to look again.
    if (!obs.exists) await this.ensureDir(path.dirname(abs));
    const tmp = tempNameFor(abs);
    const mode = obs.stat ? obs.stat.mode & 0o7777 : 0o644;
    let applied: FileStamp | null = null;
    return {
      intentHash: hashAfter,
      hashAfter,
      intentData: {
        tmp: this.ws.relOf(tmp),
        size: content.length,
        ...(inline ? { content_b64: content.toString("base64") } : {}),
      },
      commitData: { size: content.length },
      stat: (p) => applied ?? fs.statSync(p),
      cleanup: () => {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          /* recovery removes it: the intent names it */
        }
      },
      apply: inline
        ? async () => {
            // Durable in the intent: once the intent is durable, the temp file is written and put in
            // place in one native call (see writeAndReplace: on this thread when no other write is in
            // flight to share a thread-pool job); the file and its directory are fsynced by the
            // background group sync.
            await this.journal.flush();
            applied = await writeAndReplace(tmp, abs, content, mode, this.openIntents === 1);
            this.markUnsynced(abs);
          }
        : async () => {
            // Large content: the temp file is written and fsynced while the intent is made durable,
            // then renamed and its directory fsynced before the reply.
            await Promise.all([this.journal.flush(), writeTempAt(tmp, content, mode, true), objectWrite]);
            await replaceFile(tmp, abs);
            await fsyncDir(path.dirname(abs));
          },
    };
  }

  /** The generation-table row for a path after a change (a deleted or moved-away path has no content). */
  private track(
    rel: string,
    gen: number,
    sha256: string | null,
    st: FileStamp | null,
    writer: string,
    ts: number,
  ) {
    return this.gens.set({
      path: rel,
      gen,
      sha256,
      ...(st ? statFields(st) : { size: 0, ino: 0, mtime: 0, ctime: 0 }),
      writer,
      ts,
    });
  }

  private abort(intent: JournalEntry, ctx: CallContext, err: unknown): void {
    this.record({
      event: "fs.abort",
      actor: ctx.actor,
      trace: ctx.trace,
      path: intent.path,
      data: { intent: intent.seq, reason: err instanceof Error ? err.message : String(err) },
    });
  }

  /**
   * Content with this sha256: the object store (and its memory cache), else the inline content of the
   * journal intent that produced it (content ≤ 256 KiB is not written to the object store).
   */
  async contentByHash(hash: string): Promise<Buffer | null> {
    const hit = await this.objects.get(hash);
    if (hit) return hit;
    let found: Buffer | null = null;
    for (const e of readEntries(this.ws.stateDir)) {
      if (e.event === "fs.intent" && e.hash_after === hash && typeof e.data?.content_b64 === "string") {
        const buf = Buffer.from(e.data.content_b64, "base64");
        if (sha256Hex(buf) === hash) found = buf;
      }
    }
    if (found) this.objects.remember(hash, found);
    return found;
  }

  private knownDirs = new Set<string>();

  /** mkdir -p, skipped for directories this kernel already made or saw (re-made if one vanished: see apply). */
  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir) && fs.existsSync(dir)) return;
    await fsp.mkdir(dir, { recursive: true });
    if (this.knownDirs.size > 10_000) this.knownDirs.clear();
    this.knownDirs.add(dir);
  }

  private unsyncedFiles = new Set<string>();
  private unsyncedDirs = new Set<string>();
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;

  /** A change applied without fsync: the background group sync makes it durable and moves the watermark. */
  private markUnsynced(file: string | null, dir = file ? path.dirname(file) : null): void {
    if (file) this.unsyncedFiles.add(file);
    if (dir) this.unsyncedDirs.add(dir);
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = null;
      this.syncApplied().catch((err) => this.logger.error({ err }, "background sync failed"));
    }, SYNC_INTERVAL_MS);
  }

  /**
   * fsync every file and directory changed since the last sync, then record in `.ostk/applied.json`
   * the journal seq up to which every commit's effect is on disk. Recovery redoes commits after it.
   */
  async syncApplied(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (!this.unsyncedFiles.size && !this.unsyncedDirs.size) return;
    const upto = this.journal.lastSeq;
    const files = [...this.unsyncedFiles];
    const dirs = [...this.unsyncedDirs];
    this.unsyncedFiles.clear();
    this.unsyncedDirs.clear();
    this.syncing = (async () => {
      await syncFiles(files, SYNC_CONCURRENCY);
      await eachLimited(dirs, SYNC_CONCURRENCY, (d) => fsyncDir(d).catch(() => {}));
      await this.journal.flush();
      await atomicWriteFile(this.appliedFile, `${JSON.stringify({ seq: upto })}\n`, 0o600);
    })().finally(() => {
      this.syncing = null;
    });
    await this.syncing;
  }

  get appliedFile(): string {
    return path.join(this.ws.stateDir, APPLIED_FILE);
  }

  /** Flush, checkpoint, snapshot the generation table, close the journal. */
  async close(): Promise<void> {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    await this.syncApplied();
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    await this.journal.flush();
    this.publishDurable();
    this.gens.seq = this.journal.lastSeq;
    this.gens.save(this.genSnapshotFile);
    await this.journal.close();
  }

  kernelContext(): CallContext {
    return { actor: KERNEL_ACTOR };
  }
}

/**
 * How long after its last change a file's stamp (inode, size, mtime, ctime) can stand for its content.
 * Every change to a file's data moves its ctime, but only to the filesystem's clock tick (a jiffy on
 * ext4, up to 2 s on FAT), so two changes within one tick can leave the same stamp: a stamp taken
 * within RACY_MS of its ctime proves nothing (git's "racily clean" entries) and the content is hashed.
 */
export const RACY_MS = 3000;

function sameStamp(row: GenRow, st: FileStamp): boolean {
  return row.size === st.size && row.ino === st.ino && row.mtime === st.mtimeMs && row.ctime === st.ctimeMs;
}

export function statFields(st: FileStamp): { size: number; ino: number; mtime: number; ctime: number } {
  return { size: st.size, ino: st.ino, mtime: st.mtimeMs, ctime: st.ctimeMs };
}

const TEMP_NONCE = `${process.pid.toString(16)}${randomBytes(3).toString("hex")}`;
let tempCounter = 0;

/**
 * A temp name beside `target` (`.<name>.ostk-tmp-<unique>`), unique per process by a counter: no
 * random bytes per write. Created with O_EXCL, so a collision with a stale file fails loudly.
 */
function tempNameFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.ostk-tmp-${TEMP_NONCE}${(++tempCounter).toString(16)}`,
  );
}
