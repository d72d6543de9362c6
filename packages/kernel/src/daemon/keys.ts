import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  bytesToHex,
  createSigner,
  generateSeed,
  hexToBytes,
  keyIdOf,
  OstkError,
  publicKeyOf,
  type Signer,
} from "@ostk/lib";

/** Where the user's signing keys live: `OSTK_KEY_DIR`, else `$XDG_CONFIG_HOME/ostk/keys`, else `~/.config/ostk/keys`. */
export function defaultKeyDir(): string {
  if (process.env.OSTK_KEY_DIR) return path.resolve(process.env.OSTK_KEY_DIR);
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "ostk", "keys");
}

export const KEY_FILE = "signing.key";

export interface KeyInfo {
  keyPath: string;
  keyId: string;
  publicKeyHex: string;
  mode: number;
}

/** Create the user's Ed25519 key (mode 0600, dir 0700) when there is none. Returns whether it was created. */
export function ensureKey(keyDir = defaultKeyDir()): { created: boolean; info: KeyInfo } {
  const keyPath = path.join(keyDir, KEY_FILE);
  let created = false;
  if (!fs.existsSync(keyPath)) {
    fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const seed = generateSeed();
    const fd = fs.openSync(keyPath, "wx", 0o600);
    fs.writeSync(fd, `${bytesToHex(seed)}\n`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(keyDir, `${keyIdOf(publicKeyOf(seed))}.pub`), `${publicKeyOf(seed)}\n`, {
      mode: 0o644,
    });
    created = true;
  }
  return { created, info: keyInfo(keyPath) };
}

function readSeed(keyPath: string): Uint8Array {
  let text: string;
  try {
    text = fs.readFileSync(keyPath, "utf8").trim();
  } catch (err) {
    throw new OstkError(
      "KEY_MISSING",
      `signing key ${keyPath} is not readable; run \`ostk init\` to create one`,
      {
        cause: err,
      },
    );
  }
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new OstkError("KEY_INVALID", `signing key ${keyPath} is not 64 hex characters`);
  return hexToBytes(text);
}

export function keyInfo(keyPath: string): KeyInfo {
  const seed = readSeed(keyPath);
  const pub = publicKeyOf(seed);
  return { keyPath, keyId: keyIdOf(pub), publicKeyHex: pub, mode: fs.statSync(keyPath).mode & 0o777 };
}

export function loadSigner(keyPath: string): Signer {
  return createSigner(readSeed(keyPath));
}

/** Public keys the verifier trusts: every `<keyid>.pub` in the key dir (current and rotated-out keys). */
export function trustedKeys(keyDir: string): string[] {
  const keys = new Set<string>();
  try {
    for (const name of fs.readdirSync(keyDir)) {
      if (!name.endsWith(".pub")) continue;
      const hex = fs.readFileSync(path.join(keyDir, name), "utf8").trim();
      if (/^[0-9a-f]{64}$/.test(hex)) keys.add(hex);
    }
  } catch {
    /* no key dir */
  }
  try {
    keys.add(keyInfo(path.join(keyDir, KEY_FILE)).publicKeyHex);
  } catch {
    /* no key */
  }
  return [...keys];
}

/** Replace the signing key; the old public key stays trusted so old entries keep verifying. */
export function rotateKey(keyDir = defaultKeyDir()): { previous: KeyInfo; current: KeyInfo } {
  const keyPath = path.join(keyDir, KEY_FILE);
  const previous = keyInfo(keyPath);
  fs.writeFileSync(path.join(keyDir, `${previous.keyId}.pub`), `${previous.publicKeyHex}\n`, { mode: 0o644 });
  const seed = generateSeed();
  const tmp = `${keyPath}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "wx", 0o600);
  fs.writeSync(fd, `${bytesToHex(seed)}\n`);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, keyPath);
  fs.writeFileSync(path.join(keyDir, `${keyIdOf(publicKeyOf(seed))}.pub`), `${publicKeyOf(seed)}\n`, {
    mode: 0o644,
  });
  return { previous, current: keyInfo(keyPath) };
}
