import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Cached responses are sealed (AES-256-GCM) under a key derived from the caller's API key, so a
 * stolen cache.db or a shared Redis reveals nothing without the credential that produced it.
 */
export function sealKey(secret: Buffer, apiKey: string): Buffer {
  return createHmac("sha256", secret).update(`seal\0${apiKey}`).digest();
}

export function seal(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function unseal(key: Buffer, sealed: Buffer): Buffer | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(12, 28));
    const plain = d.update(sealed.subarray(28));
    const tail = d.final();
    return tail.length ? Buffer.concat([plain, tail]) : plain;
  } catch {
    return undefined;
  }
}

const ids = new Map<string, string>();

/** The short HMAC of an API key that stands for it in keys and in the ledger (memoised per secret and key). */
export function keyId(secret: Buffer, apiKey: string): string {
  const memo = `${secret.toString("base64")}\0${apiKey}`;
  let id = ids.get(memo);
  if (id === undefined) {
    id = createHmac("sha256", secret).update(`id\0${apiKey}`).digest("hex").slice(0, 16);
    if (ids.size > 1000) ids.clear();
    ids.set(memo, id);
  }
  return id;
}
