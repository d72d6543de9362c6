import { promises as fs } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { sha256 } from "../chunk/chunk-file.js";
import type { Chunk } from "../chunk/types.js";
import type { Indexer } from "../indexer.js";
import type { Logger } from "../logger.js";
import type { SqliteStore } from "../store/sqlite-store.js";

/** Where reading one transcript file stands (kept in the ingest table as `transcript:<file>`). */
export interface TranscriptFileState {
  ino: number;
  /** File size when last read. */
  size: number;
  /** Byte offset of the first line of the last (possibly still growing) exchange: the next read starts here. */
  offset: number;
  /** 1-based line number at `offset`. */
  line: number;
  /** Chunk ids of that last exchange (replaced when it grows). */
  open: string[];
  /** Exchanges stored from this file. */
  exchanges: number;
  /** The chunks' path (`~/.claude/projects/<project>/<session>.jsonl`). */
  path: string;
}

export const TRANSCRIPT_KEY_PREFIX = "transcript:";

type Redact = (s: string) => string;

/** Longest stored text of one exchange (prompt, replies and tool summaries). */
const MAX_EXCHANGE_CHARS = 12_000;
const MAX_PROMPT_CHARS = 3_000;
const MAX_REPLY_CHARS = 5_000;
const MAX_TOOL_CHARS = 240;

/** Claude Code's project directory name for a working directory (both historical spellings). */
export function projectSlugs(dir: string): string[] {
  return [...new Set([dir.replace(/[^a-zA-Z0-9]/g, "-"), dir.replace(/[/.]/g, "-")])];
}

interface Entry {
  type?: string;
  isMeta?: boolean;
  isSidechain?: boolean;
  sessionId?: string;
  cwd?: string;
  gitBranch?: string;
  timestamp?: string;
  uuid?: string;
  message?: { role?: string; content?: unknown };
}

interface Block {
  type?: string;
  text?: string;
  name?: string;
  input?: Record<string, unknown>;
  content?: unknown;
  is_error?: boolean;
}

function blocks(content: unknown): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? (content.filter((b) => b && typeof b === "object") as Block[]) : [];
}

function clip(s: string, n: number): string {
  const t = s.replace(/\s+\n/g, "\n").trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/** A human prompt: a user entry with text of its own (not only tool results, not meta/sidechain). */
export function isPrompt(e: Entry): boolean {
  if (e.type !== "user" || e.isMeta || e.isSidechain) return false;
  return blocks(e.message?.content).some(
    (b) => b.type === "text" && typeof b.text === "string" && b.text.trim(),
  );
}

const TOOL_KEYS = ["command", "file_path", "path", "pattern", "url", "query", "description", "prompt"];

/** The tool input fields an exchange shows, clipped (a Write's whole file content is not kept). */
function compactInput(input: Record<string, unknown>, redact: Redact): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOOL_KEYS)
    if (typeof input[k] === "string") out[k] = redact(input[k] as string).slice(0, MAX_TOOL_CHARS);
  return Object.keys(out).length ? out : { input: redact(JSON.stringify(input)).slice(0, MAX_TOOL_CHARS) };
}

function toolInput(name: string, input: Record<string, unknown> | undefined): string {
  if (!input) return "";
  const keys = TOOL_KEYS;
  const picked = keys.filter((k) => typeof input[k] === "string").map((k) => `${k}: ${input[k]}`);
  return clip(picked.length ? picked.join(", ") : JSON.stringify(input), MAX_TOOL_CHARS) || name;
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  return blocks(content)
    .map((b) => (typeof b.text === "string" ? b.text : ""))
    .join("\n");
}

/** The text stored for one exchange: who/when/where, the prompt, the replies, tool calls and their results in brief. */
export function exchangeText(entries: Entry[]): { text: string; prompt: string } {
  const first = entries[0];
  const prompt = blocks(first.message?.content)
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("\n");
  const out: string[] = [
    `Claude Code session ${first.sessionId ?? "?"} · ${first.cwd ?? "?"}${first.gitBranch ? ` (${first.gitBranch})` : ""} · ${first.timestamp ?? ""}`,
    `User: ${clip(prompt, MAX_PROMPT_CHARS)}`,
  ];
  let reply = 0;
  for (const e of entries.slice(1)) {
    for (const b of blocks(e.message?.content)) {
      if (e.type === "assistant" && b.type === "text" && b.text?.trim() && reply < MAX_REPLY_CHARS) {
        const t = clip(b.text, MAX_REPLY_CHARS - reply);
        reply += t.length;
        out.push(`Assistant: ${t}`);
      } else if (e.type === "assistant" && b.type === "tool_use") {
        out.push(`Tool ${b.name ?? "?"}: ${toolInput(b.name ?? "?", b.input)}`);
      } else if (b.type === "tool_result") {
        const r = clip(resultText(b.content), MAX_TOOL_CHARS);
        if (r) out.push(`  ${b.is_error ? "error" : "result"}: ${r}`);
      } else if (e.type === "user" && b.type === "text" && b.text?.trim()) {
        out.push(`User: ${clip(b.text, MAX_TOOL_CHARS)}`);
      }
    }
  }
  const text = out.join("\n");
  return { text: text.length > MAX_EXCHANGE_CHARS ? `${text.slice(0, MAX_EXCHANGE_CHARS)}…` : text, prompt };
}

/**
 * What an exchange's text needs of an entry: tool results and long texts are
 * clipped as soon as a line is parsed, so a transcript with large file contents
 * in its tool results does not stay in memory whole.
 */
function compact(e: Entry, redact: Redact): Entry {
  const content = e.message?.content;
  if (!Array.isArray(content)) {
    // secrets are masked before anything is cut, so no clipped secret escapes its pattern
    if (typeof content === "string" && content.length > MAX_EXCHANGE_CHARS)
      return { ...e, message: { ...e.message, content: redact(content).slice(0, MAX_EXCHANGE_CHARS) } };
    return e;
  }
  const blocks = (content as Block[]).map((b) => {
    if (!b || typeof b !== "object") return b;
    if (b.type === "tool_result")
      return { ...b, content: redact(resultText(b.content)).slice(0, MAX_TOOL_CHARS * 2) };
    if (typeof b.text === "string" && b.text.length > MAX_EXCHANGE_CHARS)
      return { ...b, text: redact(b.text).slice(0, MAX_EXCHANGE_CHARS) };
    if (b.type === "tool_use" && b.input) return { ...b, input: compactInput(b.input, redact) };
    return b;
  });
  return {
    type: e.type,
    isMeta: e.isMeta,
    isSidechain: e.isSidechain,
    sessionId: e.sessionId,
    cwd: e.cwd,
    gitBranch: e.gitBranch,
    timestamp: e.timestamp,
    uuid: e.uuid,
    message: { role: e.message?.role, content: blocks },
  };
}

interface Line {
  entry: Entry | null;
  /** Byte offset of the line's start. */
  at: number;
  /** 1-based. */
  n: number;
}

/** Complete lines of `file` from `offset` (up to `size`); a trailing partial line is left for later. */
async function readLines(
  file: string,
  offset: number,
  size: number,
  firstLine: number,
  redact: Redact,
): Promise<{ lines: Line[]; end: number }> {
  const fh = await fs.open(file, "r");
  const out: Line[] = [];
  let carryAt = offset;
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let pos = offset;
    let carry = Buffer.alloc(0);
    let n = firstLine;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (!bytesRead) break;
      pos += bytesRead;
      let data = carry.length
        ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
        : buf.subarray(0, bytesRead);
      let start = 0;
      for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, start)) {
        const raw = data.toString("utf8", start, i).trim();
        let entry: Entry | null = null;
        if (raw.startsWith("{"))
          try {
            entry = compact(JSON.parse(raw) as Entry, redact);
          } catch {
            entry = null;
          }
        out.push({ entry, at: carryAt + start, n: n++ });
        start = i + 1;
      }
      data = data.subarray(start);
      carryAt += start;
      carry = Buffer.from(data);
    }
  } finally {
    await fh.close();
  }
  return { lines: out, end: carryAt };
}

/**
 * Claude Code transcripts (`~/.claude/projects/<project>/**\/*.jsonl`) of this
 * workspace (its own project directory and those of directories under it; an
 * exchange whose `cwd` is outside the workspace is skipped) as one searchable
 * chunk per exchange: the prompt, the assistant's replies, tool calls and their
 * results in brief — all run through `@ostk/lib`'s redaction before anything
 * is stored. Incremental: each file is read from a stored byte offset; the
 * last exchange is re-read until the next prompt closes it.
 */
export class TranscriptSource {
  constructor(
    private readonly workspace: string,
    readonly dir: string,
    private readonly store: SqliteStore,
    private readonly indexer: Indexer,
    private readonly logger: Logger,
  ) {}

  /** True for a project directory name of this workspace or of a directory under it. */
  private isMine(name: string): boolean {
    return projectSlugs(this.workspace).some((s) => name === s || name.startsWith(`${s}-`));
  }

  /** The transcript files of this workspace's projects. */
  async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const mine = names.filter((n) => this.isMine(n));
    const out: string[] = [];
    for (const n of mine) {
      const entries = await fs.readdir(join(this.dir, n), { recursive: true }).catch(() => [] as string[]);
      for (const rel of entries) if (rel.endsWith(".jsonl")) out.push(join(this.dir, n, rel));
    }
    return out.sort();
  }

  /** Every followed file's state. */
  states(): { file: string; state: TranscriptFileState }[] {
    return this.store
      .ingestStates<TranscriptFileState>(TRANSCRIPT_KEY_PREFIX)
      .map(([k, state]) => ({ file: k.slice(TRANSCRIPT_KEY_PREFIX.length), state }));
  }

  /** Read new lines of every transcript; drop the exchanges of transcripts that were deleted. Returns new exchanges. */
  async ingest(signal?: AbortSignal): Promise<number> {
    const files = await this.files();
    const present = new Set(files);
    const known = new Map<string, TranscriptFileState>();
    for (const { file, state } of this.states()) {
      if (present.has(file)) known.set(file, state);
      else this.forget(file, state);
    }
    return this.ingestEach(files, known, signal);
  }

  /**
   * Read new lines of these transcript files only (paths under this workspace's projects, as `ownPaths`
   * picks them from a directory watch's report): a file that is gone leaves the index. A path that is not a
   * `.jsonl` file (a new project or session directory, whose files a watch may not report) reads every
   * transcript instead.
   */
  async ingestPaths(paths: string[]): Promise<number> {
    if (paths.some((p) => !p.endsWith(".jsonl"))) return this.ingest();
    const known = new Map<string, TranscriptFileState>();
    const present: string[] = [];
    for (const f of new Set(paths)) {
      const state = this.store.getIngest<TranscriptFileState>(TRANSCRIPT_KEY_PREFIX + f);
      if (
        await fs.stat(f).then(
          (st) => st.isFile(),
          () => false,
        )
      ) {
        present.push(f);
        if (state) known.set(f, state);
      } else if (state) this.forget(f, state);
    }
    return this.ingestEach(present, known);
  }

  /** The paths under this workspace's project directories (a watch on the transcripts directory reports every project's). */
  ownPaths(paths: string[]): string[] {
    return paths.filter((p) => {
      const rel = relative(this.dir, p);
      return rel && !rel.startsWith("..") && !isAbsolute(rel) && this.isMine(rel.split(sep)[0]);
    });
  }

  private forget(file: string, state: TranscriptFileState): void {
    this.indexer.removeChunks(this.store.chunkIdsOfSource("transcript", state.path));
    this.store.deleteIngest(TRANSCRIPT_KEY_PREFIX + file);
  }

  private async ingestEach(
    files: string[],
    known: Map<string, TranscriptFileState>,
    signal?: AbortSignal,
  ): Promise<number> {
    const { redactString } = (await import("@ostk/lib")) as { redactString: (s: string) => string };
    let added = 0;
    for (const f of files) {
      signal?.throwIfAborted();
      try {
        added += await this.ingestFile(f, known.get(f), redactString);
      } catch (err) {
        this.logger.warn({ err, file: f }, "reading a transcript failed; it is retried at the next pass");
      }
    }
    return added;
  }

  /** Remove every transcript chunk and cursor (the source was turned off). */
  purge(): number {
    const ids = this.store.chunkIdsOfSource("transcript");
    this.indexer.removeChunks(ids);
    for (const [k] of this.store.ingestStates(TRANSCRIPT_KEY_PREFIX)) this.store.deleteIngest(k);
    return ids.length;
  }

  private displayPath(file: string): string {
    const home = homedir();
    const rel = relative(home, file);
    return rel && !rel.startsWith("..") && !resolve(rel).startsWith(`..${sep}`) ? `~/${rel}` : file;
  }

  private inWorkspace(cwd: string | undefined): boolean {
    if (!cwd) return true;
    const c = resolve(cwd);
    return c === this.workspace || c.startsWith(`${this.workspace}${sep}`);
  }

  private async ingestFile(
    file: string,
    known: TranscriptFileState | undefined,
    redactString: (s: string) => string,
  ): Promise<number> {
    const st = await fs.stat(file);
    const key = TRANSCRIPT_KEY_PREFIX + file;
    let state = known;
    if (state && state.ino === st.ino && state.size === st.size) return 0;
    const path = this.displayPath(file);
    if (state && (state.ino !== st.ino || st.size < state.size)) {
      // replaced or truncated: read it again from the start
      this.indexer.removeChunks(this.store.chunkIdsOfSource("transcript", state.path));
      state = undefined;
    }
    const offset = state?.offset ?? 0;
    const { lines, end } = await readLines(file, offset, st.size, state?.line ?? 1, redactString);
    const groups: Line[][] = [];
    for (const l of lines) {
      if (l.entry && isPrompt(l.entry)) groups.push([l]);
      else if (groups.length) groups[groups.length - 1].push(l);
    }
    const chunks: Chunk[] = [];
    for (const g of groups) {
      const entries = g.map((l) => l.entry).filter((e): e is Entry => e !== null);
      const first = entries[0];
      if (!this.inWorkspace(first.cwd)) continue;
      const ex = exchangeText(entries);
      const text = redactString(ex.text);
      const ts = first.timestamp ? Date.parse(first.timestamp) : Number.NaN;
      chunks.push({
        id: sha256(`transcript\0${path}\0${first.uuid ?? g[0].at}\0${sha256(text)}`).slice(0, 24),
        source: "transcript",
        path,
        startLine: g[0].n,
        endLine: g[g.length - 1].n,
        symbol: clip(redactString(ex.prompt).split("\n")[0], 80),
        kind: "exchange",
        lang: "text",
        text,
        ts: Number.isFinite(ts) ? ts : null,
      });
    }
    const last = groups[groups.length - 1];
    const lastChunk = last && chunks.find((c) => c.startLine === last[0].n);
    const keep = new Set(chunks.map((c) => c.id));
    const stale = (state?.open ?? []).filter((id) => !keep.has(id));
    this.indexer.removeChunks(stale);
    const added = this.indexer.addChunks(chunks);
    const consumed = lines.length ? lines[lines.length - 1] : null;
    const next: TranscriptFileState = {
      ino: st.ino,
      size: end,
      offset: last ? last[0].at : end,
      line: last ? last[0].n : (consumed?.n ?? (state?.line ?? 1) - 1) + 1,
      open: lastChunk ? [lastChunk.id] : [],
      exchanges: (state?.exchanges ?? 0) + added - stale.length,
      path,
    };
    this.store.setIngest(key, next);
    return added - stale.length;
  }
}
