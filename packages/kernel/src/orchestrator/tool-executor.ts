import { isRpcError, OstkRpcError, redactString } from "@ostk/lib";
import { Ajv, type ValidateFunction } from "ajv";
import type { ToolGrant } from "../agentfile/types.js";
import { decide } from "../policy/decide.js";
import type { Pin } from "../policy/pin-caps.js";
import type { KernelPort, RunCaller } from "./kernel-port.js";
import type { ToolCall, ToolResult } from "./model-types.js";
import { type CatalogTool, catalogTool } from "./tool-catalog.js";
import { checkGrant } from "./tool-gate.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

function validatorFor(t: CatalogTool): ValidateFunction {
  let v = validators.get(t.spec.name);
  if (!v) {
    v = ajv.compile(t.spec.input_schema);
    validators.set(t.spec.name, v);
  }
  return v;
}

/** Tool output is capped before it goes back to the model. */
export const MAX_RESULT_CHARS = 60_000;

export type ToolOutcome =
  | { kind: "result"; result: ToolResult; error?: string; data?: Record<string, unknown> }
  | { kind: "approval"; approval_id: string; message: string };

export interface ExecuteContext {
  grants: ToolGrant[];
  /** Names offered to the model this run. */
  offered: string[];
  kernel: KernelPort;
  caller: RunCaller;
  signal?: AbortSignal;
  /** The Agentfile's PIN: its hard denies apply on top of whatever the kernel's own pin allows. */
  pin?: Pin;
}

const fail = (call: ToolCall, kind: string, content: string): ToolOutcome => ({
  kind: "result",
  error: kind,
  result: { id: call.id, name: call.name, is_error: true, content: `error (${kind}): ${content}` },
});

/**
 * One tool call through the chain: known tool → granted by the Agentfile →
 * valid JSON arguments → schema → scope → the kernel (which applies pin, risk
 * gate and approvals, then executes and journals). Every refusal or failure
 * becomes a tool error for the model; nothing here throws except an abort.
 */
export async function executeToolCall(call: ToolCall, ctx: ExecuteContext): Promise<ToolOutcome> {
  const t = catalogTool(call.name);
  if (!t || !ctx.offered.includes(call.name))
    return fail(
      call,
      "ToolNotAllowed",
      `tool "${call.name}" is not available to this agent; available: ${ctx.offered.join(", ") || "none"}`,
    );
  if (call.input === undefined)
    return fail(call, "InvalidArguments", `arguments are not valid JSON: ${(call.raw ?? "").slice(0, 200)}`);
  const validate = validatorFor(t);
  if (!validate(call.input)) {
    const problems = (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || "arguments"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
    );
    return fail(
      call,
      "InvalidArguments",
      `${problems.join("; ")}; expected ${JSON.stringify(t.spec.input_schema)}`,
    );
  }
  const input = call.input as Record<string, unknown>;
  const gate = checkGrant(t, input, ctx.grants);
  if (!gate.ok) return fail(call, "ToolNotAllowed", gate.reason);
  if (ctx.pin) {
    const d = decide(t.policy(input), { pin: ctx.pin });
    if (d.decision === "deny")
      return fail(call, "PolicyDenied", `${d.reason} (the Agentfile's PIN ${ctx.pin.name}, rule ${d.rule})`);
  }
  // Only protocol params go to the kernel: the session's negotiated grant carries the
  // Agentfile's scopes (shell:write(…) → write globs), and an approval binds to the call's hash,
  // so an approved call is simply issued again unchanged.
  const params = t.params ? t.params(input) : { ...input };
  try {
    const out = await ctx.kernel.call(t.method, params, ctx.caller, ctx.signal);
    let content = redactString(t.format(out, input));
    if (content.length > MAX_RESULT_CHARS)
      content = `${content.slice(0, MAX_RESULT_CHARS)}\n[… ${content.length - MAX_RESULT_CHARS} more characters cut]`;
    const failed = t.family === "shell" && isFailedExec(out);
    return {
      kind: "result",
      error: failed ? "ExitNonZero" : undefined,
      result: { id: call.id, name: call.name, is_error: failed, content },
    };
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    if (isRpcError(err, "ApprovalRequired")) {
      const id = String(err.data?.approval_id ?? err.data?.id ?? "");
      if (id) return { kind: "approval", approval_id: id, message: err.message };
    }
    const e =
      err instanceof OstkRpcError
        ? err
        : new OstkRpcError("InternalError", err instanceof Error ? err.message : String(err));
    return {
      ...fail(call, e.kind === "Unknown" ? String(e.code) : e.kind, redactString(e.message)),
      data: e.data,
    } as ToolOutcome;
  }
}

function isFailedExec(out: unknown): boolean {
  const x = out as Record<string, unknown> | null;
  if (!x) return false;
  const code = x.exitCode ?? x.exit_code;
  return Boolean(x.timedOut ?? x.timed_out) || (typeof code === "number" && code !== 0) || code === null;
}
