/** Marker that replaces every masked secret. */
export const REDACTED = "[REDACTED]";

/**
 * Normalised key names (lowercase, letters and digits only) whose values are
 * always masked, and suffixes that mark a key as secret (`githubToken`,
 * `client_secret`, `x-api-key`…). Counting keys such as `max_tokens` or
 * `input_tokens` are not secrets and are left alone.
 */
export const SECRET_KEYS = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "xapikey",
  "privatekey",
  "credentials",
  "credential",
  "sessionid",
  "connectionstring",
  "dsn",
  "seed",
]);

const SECRET_SUFFIXES = [
  "apikey",
  "secret",
  "password",
  "passwd",
  "token",
  "privatekey",
  "accesskey",
  "secretkey",
  "credentials",
];

export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

export function isSecretKey(key: string): boolean {
  const k = normaliseKey(key);
  if (SECRET_KEYS.has(k)) return true;
  for (const s of SECRET_SUFFIXES) if (k.endsWith(s)) return true;
  return false;
}

/** Value patterns: each match (or its capture group "s") is replaced by the marker. */
export const VALUE_PATTERNS: { name: string; re: RegExp; keep?: number }[] = [
  {
    name: "pem-private-key",
    re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g,
  },
  { name: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{16,}/g },
  { name: "openai-key", re: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g },
  { name: "github-token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { name: "gitlab-token", re: /\bgl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}/g },
  { name: "slack-token", re: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { name: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { name: "aws-access-key-id", re: /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b/g },
  { name: "jwt", re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  { name: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: "stripe-key", re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  // Keep the scheme word, mask the credential.
  { name: "auth-header", re: /\b((?:[Bb]earer|[Bb]asic|Token|Bot)\s+)[A-Za-z0-9._~+/=-]{8,}/g, keep: 1 },
  // scheme://user:password@host → keep scheme://user:
  { name: "url-credentials", re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+(?=@)/gi, keep: 1 },
  // key=value / key: value inside free text (logs, env dumps, CLI flags)
  {
    name: "assignment",
    re: /\b((?:[A-Za-z0-9]+[_-])*(?:api[_-]?key|apikey|password|passwd|secret|token|access[_-]?key|secret[_-]?key|private[_-]?key)["']?\s*[=:]\s*["']?)(?!\[REDACTED\])[^\s"'&,;]{4,}/gi,
    keep: 1,
  },
];

/** Cheap pre-filter: a string that matches none of these cannot hold a patterned secret. */
export const MAYBE_SECRET =
  /sk-|gh[pousr]_|github_pat_|gl[a-z]+-|xox|hooks\.slack|A[KSBCRI][IS0-9A-Z]A|eyJ|AIza|_live_|_test_|PRIVATE KEY|Bearer|Basic|Token|Bot |:\/\/[^\s/]*:[^\s/]*@|key|pass|secret|token/i;
