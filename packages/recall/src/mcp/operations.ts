import type { ScanProgress } from "../indexer.js";
import type { Lane } from "../query/search.js";
import type { Recall } from "../recall.js";
import type { SourceName } from "../store/filter.js";
import { PARAMS, validate } from "./schemas.js";

export type OperationName = "search" | "view" | "scan" | "watch" | "status";

export class InvalidParamsError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid params: ${errors.join("; ")}`);
  }
}

/**
 * The five recall operations behind one validated entry point, shared by the
 * MCP tools and the JSON-RPC socket methods.
 */
export async function runOperation(
  recall: Recall,
  op: OperationName,
  rawParams: unknown,
  onProgress?: (p: ScanProgress) => void,
): Promise<Record<string, unknown>> {
  const params = (rawParams ?? {}) as Record<string, unknown>;
  const errors = validate(PARAMS[op], params);
  if (errors.length) throw new InvalidParamsError(errors);
  switch (op) {
    case "search": {
      const r = await recall.search(params.query as string, {
        limit: params.limit as number | undefined,
        path: params.path as string | undefined,
        lang: params.lang as string | undefined,
        source: params.source as SourceName[] | undefined,
        since: params.since as string | undefined,
        until: params.until as string | undefined,
        lanes: params.lanes as Lane[] | undefined,
      });
      return { ...r };
    }
    case "view":
      if (!params.id && !params.path) throw new InvalidParamsError(["params: give either id or path"]);
      return { ...(await recall.view(params)) };
    case "scan":
      return { ...(await recall.scan({ dir: params.dir as string | undefined, onProgress })) };
    case "watch": {
      const action = (params.action as string | undefined) ?? "status";
      if (action === "start") return { ...(await recall.watch()) };
      if (action === "stop") return { ...(await recall.unwatch()) };
      return { ...recall.watchStatus() };
    }
    case "status":
      return { ...(await recall.status()) };
  }
}
