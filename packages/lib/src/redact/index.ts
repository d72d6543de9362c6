export { isSecretKey, normaliseKey, REDACTED } from "./patterns.js";
export { clearRegisteredSecrets, redact, redactString, registerSecret } from "./redact.js";
