import type { JournalActor } from "@ostk/lib";
import type { Resolved } from "../workspace/confine.js";

/** Who is calling and under which trace: attached to every journal entry a call causes. */
export interface CallContext {
  actor: JournalActor;
  /** W3C trace id (32 hex). */
  trace?: string;
  /**
   * Paths this call already resolved (Workspace.resolve `memo`): the policy check and the syscall
   * resolve each path once per call. Lives only as long as the call's context.
   */
  resolved?: Map<string, Resolved>;
}

export const KERNEL_ACTOR: JournalActor = { id: "kernel", kind: "kernel" };
export const EXTERNAL_ACTOR: JournalActor = { id: "external", kind: "external" };

/** `.ostk/applied.json`: every commit up to this seq has its effect on disk (fsynced). */
export const APPLIED_FILE = "applied.json";
