import type { ApprovalChannel } from "./approval-gate.js";
import { promptChannel } from "./approval-gate.js";
import type { ApprovalRequest } from "./approval-store.js";

/** The part of the MCP SDK's `Server.elicitInput` (form mode) this channel uses. */
export type ElicitInput = (params: {
  mode?: "form";
  message: string;
  requestedSchema: {
    type: "object";
    properties: Record<string, { type: "boolean"; title?: string; description?: string; default?: boolean }>;
    required?: string[];
  };
}) => Promise<{ action: "accept" | "decline" | "cancel"; content?: Record<string, unknown> }>;

/**
 * Ask the MCP client's user directly (elicitation) for requests of one session. Accept + approve → approve;
 * decline or accept without approve → deny; cancel or an error → no answer (the request stays pending for
 * `ostk approve`, and expires into a deny).
 */
export function mcpElicitationChannel(
  elicitInput: ElicitInput,
  opts: { session?: string; clientName?: string } = {},
): ApprovalChannel {
  const inner = promptChannel(
    "mcp-elicitation",
    async (req: ApprovalRequest) => {
      if (opts.session !== undefined && req.session !== opts.session) return null;
      const seconds = Math.max(0, Math.round((req.expiresAt - Date.now()) / 1000));
      try {
        const res = await elicitInput({
          mode: "form",
          message: `ostk needs your approval to run ${req.summary}\nReason: ${req.reason}\nApproval ${req.id} expires in ${seconds}s (no answer = deny).`,
          requestedSchema: {
            type: "object",
            properties: {
              approve: { type: "boolean", title: "Approve this exact call once", default: false },
            },
            required: ["approve"],
          },
        });
        if (res.action === "cancel") return null;
        return res.action === "accept" && res.content?.approve === true;
      } catch {
        return null;
      }
    },
    opts.clientName ?? "mcp-client",
  );
  return inner;
}
