import { OstkRpcError } from "../errors.js";

export type RpcId = string | number | null;

/** A JSON-RPC 2.0 request (or, without `id`, a notification) after `checkShape` accepted it. */
export interface RpcRequest {
  jsonrpc: "2.0";
  id?: RpcId;
  method: string;
  params?: Record<string, unknown>;
}

/** A JSON-RPC 2.0 response: `result` or `error`. */
export interface RpcResponse {
  jsonrpc: "2.0";
  id: RpcId;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

export const errorResponse = (id: RpcId | undefined, err: OstkRpcError): RpcResponse => ({
  jsonrpc: "2.0",
  id: id ?? null,
  error: err.toJSON(),
});

/** The JSON-RPC 2.0 shape of one inbound message, or the InvalidRequest error it deserves. */
export function checkShape(msg: unknown): OstkRpcError | null {
  if (!msg || typeof msg !== "object" || Array.isArray(msg))
    return new OstkRpcError("InvalidRequest", "invalid request: a frame must be a JSON-RPC 2.0 object");
  const m = msg as Record<string, unknown>;
  const errs: string[] = [];
  if (m.jsonrpc !== "2.0") errs.push('jsonrpc: must be "2.0"');
  if (typeof m.method !== "string" || m.method === "") errs.push("method: must be a non-empty string");
  if ("id" in m && m.id !== null && typeof m.id !== "string" && typeof m.id !== "number")
    errs.push("id: must be a string, number or null");
  if (m.params !== undefined && (typeof m.params !== "object" || m.params === null))
    errs.push("params: must be an object");
  if (Array.isArray(m.params)) errs.push("params: must be an object (ostk methods take params by name)");
  return errs.length
    ? new OstkRpcError("InvalidRequest", `invalid request: ${errs.join("; ")}`, { errors: errs })
    : null;
}
