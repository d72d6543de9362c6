import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { OstkRpcError } from "@ostk/lib";
import type { KernelCore, Observed } from "../core/kernel-core.js";
import type { CallContext } from "../core/types.js";
import { canMergeEdit, describeHunks, diffLines, lineRangeOf, splitLines } from "../occ/merge.js";
import { asParams, bool, int, str } from "./params.js";

/** A NUL byte in the first 8000 bytes (git's test) marks content as binary. */
function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8000).indexOf(0) !== -1;
}

function conflict(obs: Observed, expected: number, changes: string[] = []): OstkRpcError {
  const row = obs.row;
  return new OstkRpcError(
    "RevisionConflict",
    `${obs.rel} changed since generation ${expected}: it is at generation ${row?.gen ?? 0} (written by ${row?.writer ?? "nobody"}); re-read it and retry`,
    {
      path: obs.rel,
      expected_gen: expected,
      current_gen: row?.gen ?? 0,
      current_hash: row?.sha256 ?? null,
      writer: row?.writer ?? null,
      ts: row?.ts ?? null,
      changes,
    },
  );
}

/** fs/read: content (utf8, or base64 for binary) with its generation; `offset` (1-based line) and `limit` (lines). */
export async function fsRead(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const offset = int(p, "offset", { min: 1 });
  const limit = int(p, "limit", { min: 1 });
  const r = core.ws.resolve(str(p, "path", { allowEmpty: false }), { memo: ctx.resolved });
  const obs = await core.observe(r.rel, r.abs, ctx);
  if (!obs.exists || (!obs.isFile && !obs.stat))
    throw new OstkRpcError("NotFound", `${r.rel} does not exist`, { path: r.rel });
  if (!obs.isFile) throw new OstkRpcError("NotAFile", `${r.rel} is not a regular file`, { path: r.rel });
  const content = obs.content!;
  const row = obs.row!;
  const base = { path: r.rel, gen: row.gen, sha256: row.sha256, size: content.length };
  if (isBinary(content)) return { ...base, encoding: "base64", content: content.toString("base64") };
  let text = content.toString("utf8");
  if (offset === undefined && limit === undefined) return { ...base, encoding: "utf8", content: text };
  const lines = text.split("\n");
  // a final newline ends the last line; it does not start another (kept in the content of a read to the end)
  const newlineAtEnd = text.endsWith("\n");
  if (newlineAtEnd) lines.pop();
  const start = (offset ?? 1) - 1;
  const end = limit === undefined ? lines.length : Math.min(lines.length, start + limit);
  text =
    lines.slice(start, end).join("\n") + (newlineAtEnd && end === lines.length && end > start ? "\n" : "");
  return {
    ...base,
    encoding: "utf8",
    content: text,
    offset: start + 1,
    total_lines: lines.length,
    truncated: end < lines.length,
  };
}

/** fs/write: replace (or create) a file with full content; `expected_gen` makes it conditional. */
export async function fsWrite(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", {}), { forWrite: true, memo: ctx.resolved });
  const encoding = str(p, "encoding", { optional: true }) ?? "utf8";
  if (encoding !== "utf8" && encoding !== "base64")
    throw new OstkRpcError("InvalidParams", "encoding: utf8 or base64");
  const text = str(p, "content", { allowEmpty: true });
  const content = Buffer.from(text, encoding);
  if (content.length > core.maxFileBytes)
    throw new OstkRpcError("TooLarge", `content is ${content.length} bytes, over the limit`);
  const expected = int(p, "expected_gen", { min: 0 });
  const createOnly = bool(p, "create_only") ?? false;
  const release = await core.locks.lock([r.rel]);
  try {
    const obs = await core.observe(r.rel, r.abs, ctx);
    if (obs.exists && !obs.isFile)
      throw new OstkRpcError("NotAFile", `${r.rel} is not a regular file`, { path: r.rel });
    if (createOnly && obs.isFile)
      throw new OstkRpcError("AlreadyExists", `${r.rel} already exists`, { path: r.rel });
    if (expected !== undefined && expected !== (obs.row?.gen ?? 0)) {
      const baseHash = core.gens.hashAt(r.rel, expected);
      const base = baseHash ? await core.contentByHash(baseHash) : null;
      const changes =
        base && obs.content
          ? describeHunks(diffLines(splitLines(base.toString()), splitLines(obs.content.toString())))
          : [];
      throw conflict(obs, expected, changes);
    }
    const { entry, row } = await core.apply({ op: "write", ctx, obs, content });
    return {
      path: r.rel,
      gen: row.gen,
      sha256: row.sha256,
      size: content.length,
      created: !obs.isFile,
      seq: entry.seq,
    };
  } finally {
    release();
  }
}

function countOccurrences(text: string, needle: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  let i = text.indexOf(needle);
  while (i >= 0) {
    if (first < 0) first = i;
    count++;
    i = text.indexOf(needle, i + needle.length);
  }
  return { count, first };
}

/**
 * fs/edit: replace `old_str` with `new_str` (unique match unless `replace_all`). With a stale
 * `expected_gen`, the edit is merged onto the current content when every intervening change is
 * more than 3 lines away from the edited region; otherwise RevisionConflict.
 */
export async function fsEdit(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", {}), { forWrite: true, memo: ctx.resolved });
  const oldStr = str(p, "old_str", {});
  const newStr = str(p, "new_str", { allowEmpty: true });
  const replaceAll = bool(p, "replace_all") ?? false;
  const expected = int(p, "expected_gen", { min: 0 });
  if (oldStr === newStr) throw new OstkRpcError("InvalidParams", "old_str and new_str are identical");
  const release = await core.locks.lock([r.rel]);
  try {
    const obs = await core.observe(r.rel, r.abs, ctx);
    if (!obs.exists) throw new OstkRpcError("NotFound", `${r.rel} does not exist`, { path: r.rel });
    if (!obs.isFile) throw new OstkRpcError("NotAFile", `${r.rel} is not a regular file`, { path: r.rel });
    const current = obs.content!.toString("utf8");
    const gen = obs.row?.gen ?? 0;
    let merged: { from_gen: number; to_gen: number } | undefined;
    if (expected !== undefined && expected !== gen) {
      const baseHash = core.gens.hashAt(r.rel, expected);
      const base = baseHash ? (await core.contentByHash(baseHash))?.toString("utf8") : undefined;
      if (base === undefined || replaceAll) throw conflict(obs, expected);
      const inBase = countOccurrences(base, oldStr);
      if (inBase.count !== 1) throw conflict(obs, expected);
      const check = canMergeEdit(base, current, lineRangeOf(base, inBase.first, oldStr.length));
      if (!check.ok || countOccurrences(current, oldStr).count !== 1)
        throw conflict(obs, expected, describeHunks(check.hunks));
      merged = { from_gen: expected, to_gen: gen };
    }
    const occ = countOccurrences(current, oldStr);
    if (occ.count === 0)
      throw new OstkRpcError("EditNoMatch", `old_str does not occur in ${r.rel}`, { path: r.rel, gen });
    if (occ.count > 1 && !replaceAll) {
      throw new OstkRpcError(
        "EditAmbiguous",
        `old_str occurs ${occ.count} times in ${r.rel}; add surrounding context or set replace_all`,
        { path: r.rel, gen, occurrences: occ.count },
      );
    }
    const next = replaceAll
      ? current.split(oldStr).join(newStr)
      : current.slice(0, occ.first) + newStr + current.slice(occ.first + oldStr.length);
    const content = Buffer.from(next, "utf8");
    const { entry, row } = await core.apply({
      op: "edit",
      ctx,
      obs,
      content,
      data: merged ? { merged } : undefined,
    });
    return {
      path: r.rel,
      gen: row.gen,
      sha256: row.sha256,
      replacements: replaceAll ? occ.count : 1,
      merged: merged !== undefined,
      ...(merged
        ? {
            merged_over: merged,
            note: `merged over generation ${merged.to_gen}: the intervening change did not touch this region`,
          }
        : {}),
      seq: entry.seq,
    };
  } finally {
    release();
  }
}

/** fs/delete: remove a file (directories: only empty ones, with `dir: true`). */
export async function fsDelete(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", {}), { forWrite: true, follow: false, memo: ctx.resolved });
  const expected = int(p, "expected_gen", { min: 0 });
  const release = await core.locks.lock([r.rel]);
  try {
    const obs = await core.observe(r.rel, r.abs, ctx);
    if (!obs.exists) throw new OstkRpcError("NotFound", `${r.rel} does not exist`, { path: r.rel });
    if (obs.stat?.isDirectory()) {
      if (!bool(p, "dir"))
        throw new OstkRpcError("NotAFile", `${r.rel} is a directory; pass dir: true to remove an empty one`);
      await fsp.rmdir(r.abs);
      const entry = await core.recordDurable({
        event: "fs.commit",
        actor: ctx.actor,
        trace: ctx.trace,
        path: r.rel,
        gen_before: 0,
        gen_after: 0,
        data: { op: "rmdir" },
      });
      return { path: r.rel, gen: 0, seq: entry.seq };
    }
    if (expected !== undefined && expected !== (obs.row?.gen ?? 0)) throw conflict(obs, expected);
    const { entry, row } = await core.apply({ op: "delete", ctx, obs });
    return { path: r.rel, gen: row.gen, seq: entry.seq };
  } finally {
    release();
  }
}

/** fs/move: rename a file inside the workspace (refuses to overwrite unless `overwrite`). */
export async function fsMove(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const from = core.ws.resolve(str(p, "from", {}), { forWrite: true, follow: false, memo: ctx.resolved });
  const to = core.ws.resolve(str(p, "to", {}), { forWrite: true, follow: false, memo: ctx.resolved });
  const overwrite = bool(p, "overwrite") ?? false;
  if (from.rel === to.rel) throw new OstkRpcError("InvalidParams", "from and to are the same path");
  const release = await core.locks.lock([from.rel, to.rel]);
  try {
    const a = await core.observe(from.rel, from.abs, ctx);
    if (!a.exists) throw new OstkRpcError("NotFound", `${from.rel} does not exist`, { path: from.rel });
    if (!a.isFile)
      throw new OstkRpcError(
        "NotAFile",
        `${from.rel} is not a regular file (moving directories is not supported)`,
      );
    const expected = int(p, "expected_gen", { min: 0 });
    if (expected !== undefined && expected !== (a.row?.gen ?? 0)) throw conflict(a, expected);
    const b = await core.observe(to.rel, to.abs, ctx);
    if (b.exists && !overwrite)
      throw new OstkRpcError("AlreadyExists", `${to.rel} already exists; pass overwrite: true`, {
        path: to.rel,
      });
    if (b.exists && !b.isFile) throw new OstkRpcError("NotAFile", `${to.rel} is not a regular file`);
    const { entry, row, toRow } = await core.apply({ op: "move", ctx, obs: a, to: b });
    return { from: from.rel, to: to.rel, gen: row.gen, to_gen: toRow!.gen, seq: entry.seq };
  } finally {
    release();
  }
}

/** fs/mkdir: create a directory (and parents). */
export async function fsMkdir(core: KernelCore, ctx: CallContext, raw: unknown) {
  const p = asParams(raw);
  const r = core.ws.resolve(str(p, "path", {}), { forWrite: true });
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(r.abs);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) return { path: r.rel, created: false };
  if (st) throw new OstkRpcError("AlreadyExists", `${r.rel} exists and is not a directory`, { path: r.rel });
  await fsp.mkdir(r.abs, { recursive: true });
  // The parents may have been created by this call: re-check confinement of what now exists.
  core.ws.resolve(r.rel, { forWrite: true });
  const { fsyncDir } = await import("../util/durable.js");
  await fsyncDir(path.dirname(r.abs));
  const entry = await core.recordDurable({
    event: "fs.commit",
    actor: ctx.actor,
    trace: ctx.trace,
    path: r.rel,
    gen_before: 0,
    gen_after: 0,
    data: { op: "mkdir" },
  });
  return { path: r.rel, created: true, seq: entry.seq };
}
