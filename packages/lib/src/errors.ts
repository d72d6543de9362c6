/**
 * The one error-code catalog for every JSON-RPC surface in ostk.
 *
 * Protocol errors (`OstkRpcError`, numeric code) cross the wire. Local errors
 * (`OstkError`, string code) never do. `toRpcError` turns any throw into a
 * protocol error, keeping the original as `cause`.
 */
export const ERROR_CODES = {
  // JSON-RPC 2.0 standard codes
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  // Application codes, -32000..-32099
  RevisionConflict: -32000,
  PolicyDenied: -32001,
  SandboxUnavailable: -32002,
  SignatureInvalid: -32003,
  PathOutsideWorkspace: -32004,
  NotFound: -32005,
  AlreadyExists: -32006,
  EditNoMatch: -32007,
  EditAmbiguous: -32008,
  FrameTooLarge: -32009,
  Timeout: -32010,
  Cancelled: -32011,
  ApprovalRequired: -32012,
  ApprovalDenied: -32013,
  Unavailable: -32014,
  ShuttingDown: -32015,
  JournalCorrupt: -32016,
  ProtectedPath: -32017,
  NotAFile: -32018,
  TooLarge: -32019,
  ResourceLimit: -32020,
  SessionUnknown: -32021,
} as const;

export type ErrorName = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorName];

const NAMES_BY_CODE = new Map<number, ErrorName>(
  Object.entries(ERROR_CODES).map(([name, code]) => [code, name as ErrorName]),
);

/** The catalog name for a numeric code, or undefined for codes outside the catalog. */
export function errorName(code: number): ErrorName | undefined {
  return NAMES_BY_CODE.get(code);
}

/** A protocol error: crosses the wire as `{code, message, data}`. */
export class OstkRpcError extends Error {
  override readonly name = "OstkRpcError";
  readonly code: number;
  readonly data?: Record<string, unknown>;

  constructor(kind: ErrorName | number, message: string, data?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = typeof kind === "number" ? kind : ERROR_CODES[kind];
    this.data = data;
  }

  /** The catalog name of this error's code (`"RevisionConflict"`…), or `"Unknown"`. */
  get kind(): ErrorName | "Unknown" {
    return errorName(this.code) ?? "Unknown";
  }

  toJSON(): { code: number; message: string; data?: Record<string, unknown> } {
    const json: { code: number; message: string; data?: Record<string, unknown> } = {
      code: this.code,
      message: this.message,
    };
    if (this.data !== undefined) json.data = { kind: this.kind, ...this.data };
    else json.data = { kind: this.kind };
    return json;
  }

  static fromJSON(err: { code: number; message: string; data?: unknown }): OstkRpcError {
    const data = err.data && typeof err.data === "object" ? (err.data as Record<string, unknown>) : undefined;
    return new OstkRpcError(err.code, err.message, data);
  }
}

/** A local error: string code, never serialised onto a wire. */
export class OstkError extends Error {
  override readonly name = "OstkError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any throw → a protocol error. Unknown throws become InternalError with the original as `cause`. */
export function toRpcError(err: unknown): OstkRpcError {
  if (err instanceof OstkRpcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OstkRpcError("InternalError", `internal error: ${message}`, undefined, err);
}

export function isRpcError(err: unknown, kind?: ErrorName): err is OstkRpcError {
  return err instanceof OstkRpcError && (kind === undefined || err.code === ERROR_CODES[kind]);
}
