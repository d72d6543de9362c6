import { createHash } from "node:crypto";
import type { Verb } from "./pin-caps.js";

/** One call as the policy sees it. Paths are workspace-relative POSIX paths. */
export interface ToolCall {
  verb: Verb;
  path?: string;
  /** Destination of a move. */
  to?: string;
  /** The command line of an `exec`. */
  command?: string;
  /** A delete of a directory with its contents. */
  recursive?: boolean;
  /** sha256 of the content a write would store (binds an approval to the exact content). */
  contentHash?: string;
}

/** sha256 over the canonical form of the call: an approval is valid for exactly this call. */
export function callHash(call: ToolCall): string {
  const canon = JSON.stringify(
    Object.keys(call)
      .sort()
      .filter((k) => call[k as keyof ToolCall] !== undefined)
      .map((k) => [k, call[k as keyof ToolCall]]),
  );
  return createHash("sha256").update(canon).digest("hex");
}
