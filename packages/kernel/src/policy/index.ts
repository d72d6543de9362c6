export {
  attenuateGrant,
  type CapabilityGrant,
  grantRefusal,
  negotiateGrant,
  type ScopeRequest,
} from "./capability-grant.js";
export { type Decision, type DecisionContext, decide, normalizePath, programOf } from "./decide.js";
export { firstMatch, globMatch, wildcardMatch } from "./glob-match.js";
export {
  DEFAULT_PIN_TEXT,
  defaultPin,
  PIN_TOKENS,
  type Pin,
  PinParseError,
  type PinToken,
  parsePinCaps,
  VERBS,
  type Verb,
  WRITE_VERBS,
} from "./pin-caps.js";
export { pinSandboxPolicy } from "./pin-sandbox.js";
export { loadPin, type PinSelection, selectPin, validatePinName } from "./pin-select.js";
export { detectRisk, PROTECTED_PATH_GLOBS, type RiskFinding } from "./risk.js";
export { callHash, type ToolCall } from "./tool-call.js";
