import { PARAMS, PROGRESS, RESULTS } from "./schemas.js";

const DESCRIPTIONS = {
  search: "Hybrid search (BM25 + vectors, fused and reranked) over the indexed workspace.",
  view: "A chunk by id, or a line range of a workspace file, with context lines.",
  scan: "Index the workspace (or one directory) now; sends recall/progress notifications on the same connection.",
  status:
    "Counts, sources, the embedder and reranker in use, vector index type, last scan, watcher state and index health.",
  watch: "Start, stop or report the debounced file watcher.",
} as const;

const NAMES = { search: "Search", view: "View", scan: "Scan", status: "Status", watch: "Watch" } as const;

/** The OpenRPC fragment for recall's socket methods (packages/lib/protocol/methods/recall.json). */
export function protocolFragment(): { methods: unknown[]; schemas: Record<string, unknown> } {
  const schemas: Record<string, unknown> = { RecallProgress: PROGRESS };
  const methods: unknown[] = [];
  for (const op of ["search", "view", "scan", "status", "watch"] as const) {
    const p = PARAMS[op] as { properties: Record<string, unknown>; required?: string[] };
    schemas[`Recall${NAMES[op]}Result`] = RESULTS[op];
    methods.push({
      name: `recall/${op}`,
      summary: DESCRIPTIONS[op],
      paramStructure: "by-name",
      params: Object.entries(p.properties).map(([name, schema]) => ({
        name,
        required: (p.required ?? []).includes(name),
        schema,
      })),
      result: { name: "result", schema: { $ref: `#/components/schemas/Recall${NAMES[op]}Result` } },
    });
  }
  methods.push({
    name: "recall/progress",
    summary: "Progress of a running recall/scan (server → client notification).",
    paramStructure: "by-name",
    "x-notification": true,
    params: [
      { name: "phase", required: true, schema: (PROGRESS.properties as Record<string, unknown>).phase },
      { name: "done", required: true, schema: { type: "integer" } },
      { name: "total", required: true, schema: { type: "integer" } },
      { name: "path", required: false, schema: { type: "string" } },
    ],
  });
  return { methods, schemas };
}
