const SECRET_NAME =
  /(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE|_KEY$|^KEY$|AUTH|COOKIE|SESSION)/i;
const SECRET_VALUE =
  /(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.)/;

/** True when a variable looks like it carries a secret (by name or by value). */
export function isSecretEnv(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || SECRET_VALUE.test(value);
}

/**
 * The command's environment: only allowlisted names from `parent`, never anything secret-looking,
 * then `set` on top (explicit values from the policy and the kernel: HOME, TMPDIR…).
 */
export function buildSandboxEnv(
  parent: NodeJS.ProcessEnv,
  allow: readonly string[],
  set: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allow) {
    const value = parent[name];
    if (value === undefined || value.includes("\0")) continue;
    if (isSecretEnv(name, value)) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(set)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || value.includes("\0")) continue;
    env[name] = value;
  }
  return env;
}
