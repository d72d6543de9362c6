/**
 * The kernel's status envelope: `[tag] …` lines appended to tool results.
 * `formatEnvelopeLine` is what the kernel uses to write them and
 * `parseEnvelope` what clients use to read them, so both sides share one
 * grammar. Unknown tags are kept, never dropped.
 */

export interface ProcsLine {
  kind: "procs";
  count: number;
  active: number;
  stale: number;
  dead: number;
}
export interface FileStatus {
  path: string;
  gen: number;
  writer: string;
  /** Age as written (`12s`, `3m`, `2h`, `1d`). */
  age: string;
  ageMs: number | null;
}
export interface FilesLine {
  kind: "files";
  files: FileStatus[];
}
export interface CtxLine {
  kind: "ctx";
  /** `key:value` pairs in order (e.g. session, turn, tokens `used/limit`, budget_usd `spent/limit`). */
  fields: Record<string, string>;
}
export interface LoadavgLine {
  kind: "loadavg";
  load1: number;
  load5: number;
  load15: number;
}
export interface MeminfoLine {
  kind: "meminfo";
  /** Sizes in bytes when given with a unit (`15.6G`, `512M`, `2048kB`) or as `*_mb`. */
  totalBytes: number | null;
  availableBytes: number | null;
  usedPct: number | null;
  fields: Record<string, string>;
}
export interface NotModifiedLine {
  kind: "304";
  path: string;
  gen: number;
}
export interface UnknownLine {
  kind: "unknown";
  /** The bracketed tag, if the line had one. */
  tag: string | null;
}

export type EnvelopeData =
  | ProcsLine
  | FilesLine
  | CtxLine
  | LoadavgLine
  | MeminfoLine
  | NotModifiedLine
  | UnknownLine;
export type EnvelopeLine = EnvelopeData & { raw: string };

const TAG = /^\[([A-Za-z0-9_.-]+)\](?:\s+(.*))?$/;

function pairs(rest: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of rest.split(/\s+/).filter(Boolean)) {
    const i = tok.indexOf(":");
    if (i > 0) out[tok.slice(0, i)] = tok.slice(i + 1);
  }
  return out;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
};

function bytes(v: string | undefined, unitIfBare = 1): number | null {
  if (v === undefined) return null;
  const m = /^([\d.]+)\s*([a-zA-Z]*)$/.exec(v);
  if (!m) return null;
  const unit = m[2].toLowerCase().replace(/ib$/, "b");
  const mult = m[2] === "" ? unitIfBare : UNITS[unit];
  return mult === undefined ? null : Math.round(Number(m[1]) * mult);
}

const AGE_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseAge(age: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(age);
  return m ? Math.round(Number(m[1]) * AGE_UNITS[m[2]]) : null;
}

export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/** `path:gen=N:writer:age`, split from the right so paths may contain colons. */
function parseFileStatus(tok: string): FileStatus | null {
  const m = /^(.+):gen=(\d+):([^:]*):([^:]+)$/.exec(tok);
  if (!m) return null;
  return { path: m[1], gen: Number(m[2]), writer: m[3], age: m[4], ageMs: parseAge(m[4]) };
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function parseTagged(tag: string, rest: string): EnvelopeData | null {
  switch (tag) {
    case "procs": {
      const f = pairs(rest);
      if (!("count" in f)) return null;
      return {
        kind: "procs",
        count: num(f.count),
        active: num(f.active),
        stale: num(f.stale),
        dead: num(f.dead),
      };
    }
    case "files": {
      const files: FileStatus[] = [];
      for (const tok of rest.split(/\s+/).filter(Boolean)) {
        const fs = parseFileStatus(tok);
        if (!fs) return null;
        files.push(fs);
      }
      return { kind: "files", files };
    }
    case "ctx":
      return { kind: "ctx", fields: pairs(rest) };
    case "loadavg": {
      const f = pairs(rest);
      const nums = "1m" in f ? [f["1m"], f["5m"], f["15m"]] : rest.trim().split(/\s+/).slice(0, 3);
      const [a, b, c] = nums.map(Number);
      if (![a, b, c].every(Number.isFinite)) return null;
      return { kind: "loadavg", load1: a, load5: b, load15: c };
    }
    case "meminfo": {
      const f = pairs(rest);
      const total = f.total ?? f.total_mb;
      const avail = f.avail ?? f.available ?? f.available_mb;
      const used = f.used_pct ?? (f.used?.endsWith("%") ? f.used.slice(0, -1) : undefined);
      return {
        kind: "meminfo",
        totalBytes: bytes(total, f.total_mb ? 1024 ** 2 : 1),
        availableBytes: bytes(avail, f.available_mb ? 1024 ** 2 : 1),
        usedPct: used === undefined ? null : num(used),
        fields: f,
      };
    }
    case "304": {
      const m = /^(.+):gen=(\d+)(?:\s+\(current\))?$/.exec(rest.trim());
      return m ? { kind: "304", path: m[1], gen: Number(m[2]) } : null;
    }
    default:
      return null;
  }
}

/** Parses one envelope line; anything unrecognised comes back as `kind: "unknown"` with its raw text. */
export function parseEnvelopeLine(line: string): EnvelopeLine {
  const raw = line.replace(/\r$/, "");
  const m = TAG.exec(raw.trim());
  if (!m) return { kind: "unknown", tag: null, raw };
  const data = parseTagged(m[1], m[2] ?? "");
  return data ? { ...data, raw } : { kind: "unknown", tag: m[1], raw };
}

/**
 * Splits a tool result into its body and the trailing envelope (the run of
 * `[tag] …` lines at the end). Lines inside the body are never touched.
 */
export function parseEnvelope(text: string): { body: string; envelope: EnvelopeLine[] } {
  const lines = text.split("\n");
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === "") end--;
  let start = end;
  while (start > 0 && TAG.test(lines[start - 1].trim())) start--;
  const envelope = lines.slice(start, end).map(parseEnvelopeLine);
  const body = lines.slice(0, start).join("\n").replace(/\n$/, "");
  return { body, envelope };
}

/** Writes one envelope line in the grammar `parseEnvelopeLine` reads. */
export function formatEnvelopeLine(d: EnvelopeData | (UnknownLine & { raw: string })): string {
  switch (d.kind) {
    case "procs":
      return `[procs] count:${d.count} active:${d.active} stale:${d.stale} dead:${d.dead}`;
    case "files":
      return `[files] ${d.files.map((f) => `${f.path}:gen=${f.gen}:${f.writer}:${f.age}`).join(" ")}`;
    case "ctx":
      return `[ctx] ${Object.entries(d.fields)
        .map(([k, v]) => `${k}:${String(v).replace(/\s+/g, "_")}`)
        .join(" ")}`;
    case "loadavg":
      return `[loadavg] 1m:${d.load1.toFixed(2)} 5m:${d.load5.toFixed(2)} 15m:${d.load15.toFixed(2)}`;
    case "meminfo": {
      const mb = (b: number | null) => (b === null ? undefined : String(Math.round(b / 1024 ** 2)));
      const f: Record<string, string | undefined> = {
        total_mb: mb(d.totalBytes),
        available_mb: mb(d.availableBytes),
        used_pct: d.usedPct === null ? undefined : String(Math.round(d.usedPct)),
      };
      return `[meminfo] ${Object.entries(f)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}:${v}`)
        .join(" ")}`;
    }
    case "304":
      return `[304] ${d.path}:gen=${d.gen} (current)`;
    case "unknown":
      return "raw" in d ? d.raw : "";
  }
}

/** Appends envelope lines to a tool result body. */
export function formatEnvelope(body: string, lines: EnvelopeData[]): string {
  if (lines.length === 0) return body;
  return `${body.replace(/\n+$/, "")}\n\n${lines.map((l) => formatEnvelopeLine(l as EnvelopeData & { raw: string })).join("\n")}`;
}
