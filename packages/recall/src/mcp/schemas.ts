/**
 * JSON Schemas of recall's operations, shared by the MCP tools and the
 * JSON-RPC methods (packages/lib/protocol/methods/recall.json is written from these).
 */
export type JsonSchema = Record<string, unknown>;

export const PARAMS: Record<"search" | "view" | "scan" | "watch" | "status", JsonSchema> = {
  search: {
    type: "object",
    properties: {
      query: {
        type: "string",
        minLength: 1,
        maxLength: 2000,
        description: "What to look for: words, a question, or an identifier",
      },
      limit: { type: "integer", minimum: 1, maximum: 100, default: 10, description: "Maximum hits" },
      source: {
        type: "array",
        items: { type: "string", enum: ["code", "docs", "transcript", "journal"] },
        minItems: 1,
        description:
          "Only these sources (default code, docs, transcript). journal = the kernel's journal, one event per committed change, command run, refused call, approval or agent run (who, what, when): use it with path to ask what happened to a file. transcript = Claude Code exchanges (when enabled)",
      },
      path: {
        type: "string",
        description:
          "Only workspace-relative paths starting with this (src/), or matching a glob with *, ?, [ ] or { } (src/**/*.ts, *.md)",
      },
      lang: { type: "string", description: "Only this language (typescript, python, go, markdown, …)" },
      since: {
        type: "string",
        description:
          "Only content from this time on: ISO date/time (2026-11-20, 2026-11-20T14:00Z) or a duration back from now (30m, 2h, 7d, 2w). Files: their modification time when the content was indexed",
      },
      until: { type: "string", description: "Only content up to this time (same forms as since)" },
      lanes: {
        type: "array",
        items: { type: "string", enum: ["bm25", "vector"] },
        minItems: 1,
        description: "Retrieval lanes (default both)",
      },
    },
    required: ["query"],
    additionalProperties: false,
  },
  view: {
    type: "object",
    properties: {
      id: { type: "string", minLength: 1, description: "A chunk id from a search hit" },
      path: { type: "string", minLength: 1, description: "A workspace-relative file path (when no id)" },
      startLine: { type: "integer", minimum: 1 },
      endLine: { type: "integer", minimum: 1 },
      context: {
        type: "integer",
        minimum: 0,
        maximum: 200,
        default: 0,
        description: "Extra lines before and after",
      },
    },
    additionalProperties: false,
  },
  scan: {
    type: "object",
    properties: {
      dir: {
        type: "string",
        description: "Only this directory (workspace-relative); default the whole workspace",
      },
    },
    additionalProperties: false,
  },
  watch: {
    type: "object",
    properties: { action: { type: "string", enum: ["start", "stop", "status"], default: "status" } },
    additionalProperties: false,
  },
  status: { type: "object", properties: {}, additionalProperties: false },
};

const hit: JsonSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    path: { type: "string" },
    startLine: { type: "integer" },
    endLine: { type: "integer" },
    symbol: { type: ["string", "null"] },
    kind: { type: "string" },
    lang: { type: "string" },
    source: { type: "string", description: "code, docs, transcript or journal" },
    time: {
      type: ["string", "null"],
      description: "ISO time of the content: file mtime when indexed, exchange time, journal entry time",
    },
    snippet: { type: "string" },
    score: { type: "number" },
    lanes: { type: "array", items: { type: "string", enum: ["bm25", "vector"] } },
    crossScore: {
      type: "number",
      description: "The cross-encoder's relevance, on the hits it re-ordered (when recall.reranker = onnx)",
    },
  },
  required: [
    "id",
    "path",
    "startLine",
    "endLine",
    "symbol",
    "kind",
    "lang",
    "source",
    "time",
    "snippet",
    "score",
    "lanes",
  ],
};

const watchStatus: JsonSchema = {
  type: "object",
  properties: {
    running: { type: "boolean" },
    pending: { type: "integer" },
    batches: { type: "integer" },
    lastBatchAt: { type: ["integer", "null"] },
    lastError: { type: ["string", "null"] },
  },
  required: ["running", "pending", "batches"],
};

export const RESULTS: Record<"search" | "view" | "scan" | "watch" | "status", JsonSchema> = {
  search: {
    type: "object",
    properties: {
      query: { type: "string" },
      hits: { type: "array", items: hit },
      tookMs: { type: "number" },
      lanes: { type: "array", items: { type: "string" } },
      warnings: {
        type: "array",
        items: { type: "string" },
        description: "Part of the pipeline failed and the hits come without it (e.g. the cross-encoder)",
      },
    },
    required: ["query", "hits", "tookMs"],
  },
  view: {
    type: "object",
    properties: {
      path: { type: "string" },
      startLine: { type: "integer" },
      endLine: { type: "integer" },
      totalLines: { type: "integer" },
      symbol: { type: ["string", "null"] },
      text: { type: "string" },
    },
    required: ["path", "startLine", "endLine", "text"],
  },
  scan: {
    type: "object",
    properties: {
      files: { type: "integer" },
      changedFiles: { type: "integer" },
      removedFiles: { type: "integer" },
      skipped: { type: "integer" },
      chunksAdded: { type: "integer" },
      chunksRemoved: { type: "integer" },
      ms: { type: "integer" },
      events: { type: "integer", description: "New journal events stored" },
      exchanges: { type: "integer", description: "New transcript exchanges stored" },
    },
    required: ["files", "changedFiles", "removedFiles", "chunksAdded", "chunksRemoved", "ms"],
  },
  watch: watchStatus,
  status: {
    type: "object",
    properties: {
      workspace: { type: "string" },
      files: { type: "integer" },
      chunks: { type: "integer" },
      vectors: { type: "integer" },
      events: { type: "integer" },
      sources: {
        type: "array",
        description: "Each source with its chunk count and where reading it stands",
        items: {
          type: "object",
          properties: {
            name: { type: "string", enum: ["code", "docs", "transcript", "journal"] },
            enabled: { type: "boolean" },
            chunks: { type: "integer" },
            location: { type: "string" },
            files: { type: "integer" },
            cursor: {
              description:
                "journal: {dev, ino, offset, lastSeq}; transcript: per file {file, offset, openAt, exchanges}",
              type: ["object", "array", "null"],
            },
            lastIngestAt: { type: ["integer", "null"] },
          },
          required: ["name", "enabled", "chunks", "location"],
        },
      },
      embedder: {
        type: "object",
        properties: { id: { type: "string" }, dim: { type: "integer" }, description: { type: "string" } },
        required: ["id", "dim", "description"],
      },
      reranker: {
        type: "object",
        properties: { description: { type: "string" } },
        required: ["description"],
      },
      vectorIndex: { type: "string", enum: ["flat", "hnsw"] },
      lastScan: { type: ["object", "null"] },
      health: { type: "string", enum: ["ok", "degraded"] },
      healthNotes: { type: "array", items: { type: "string" } },
      watch: watchStatus,
      kernel: {
        type: "string",
        enum: ["off", "following", "following journal", "kernel not running", "failed"],
      },
    },
    required: ["workspace", "files", "chunks", "vectors", "embedder", "reranker", "health"],
  },
};

export const PROGRESS: JsonSchema = {
  type: "object",
  properties: {
    phase: { type: "string", enum: ["walk", "index", "embed", "done"] },
    done: { type: "integer" },
    total: { type: "integer" },
    path: { type: "string" },
  },
  required: ["phase", "done", "total"],
};

/** Validate against the small subset of JSON Schema used above; returns `path: message` errors. */
export function validate(schema: JsonSchema, value: unknown, at = "params"): string[] {
  const errs: string[] = [];
  const types = ([] as string[]).concat((schema.type as string | string[] | undefined) ?? []);
  if (types.length && !types.some((t) => is(t, value))) return [`${at}: expected ${types.join(" or ")}`];
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength)
      errs.push(`${at}: must not be empty`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      errs.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum)
      errs.push(`${at}: must be ≥ ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum)
      errs.push(`${at}: must be ≤ ${schema.maximum}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    errs.push(`${at}: must be one of ${schema.enum.join(", ")}`);
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems)
      errs.push(`${at}: needs at least ${schema.minItems} item(s)`);
    if (schema.items)
      for (let i = 0; i < value.length; i++)
        errs.push(...validate(schema.items as JsonSchema, value[i], `${at}[${i}]`));
  }
  if (types.includes("object") && value && typeof value === "object" && !Array.isArray(value)) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const obj = value as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? [])
      if (obj[r] === undefined) errs.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (props[k]) errs.push(...validate(props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}.${k}: unknown property`);
    }
  }
  return errs;
}

function is(t: string, v: unknown): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    case "null":
      return v === null;
    default:
      return true;
  }
}
