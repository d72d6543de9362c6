export {
  type ApprovalChannel,
  type ApprovalEvent,
  ApprovalGate,
  type ApprovalGateOptions,
  type ApprovalOutcome,
  askForApproval,
  promptChannel,
  summarize,
} from "./approval-gate.js";
export {
  type ApprovalRequest,
  type ApprovalStatus,
  ApprovalStore,
  type Decide,
  type NewApproval,
} from "./approval-store.js";
export {
  type ApprovalsCommandOptions,
  approvalsCommand,
  approveCommand,
  denyCommand,
} from "./approvals-commands.js";
export { type ElicitInput, mcpElicitationChannel } from "./mcp-elicitation.js";
