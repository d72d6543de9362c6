import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  entryHash,
  type JournalBody,
  type JournalCheckpoint,
  type JournalEntry,
  type JournalSeal,
  keyIdOf,
  recordHash,
} from "./entry.js";
import { bytesToHex, hexToBytes, nodeCrypto } from "./hash.js";

ed.hashes.sha512 = sha512;

/** DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 / SPKI for node:crypto. */
const PKCS8_PREFIX = hexToBytes("302e020100300506032b657004220420");
const SPKI_PREFIX = hexToBytes("302a300506032b6570032100");

export type Ed25519Backend = "node" | "noble";

/** Signs journal entries, checkpoints and seals with one Ed25519 key; the key object is created once. */
export interface Signer {
  readonly keyId: string;
  readonly publicKeyHex: string;
  signDigest(digestHex: string): string;
  signEntry(body: JournalBody): JournalEntry;
  signRecord<T extends JournalCheckpoint | JournalSeal>(record: Omit<T, "sig" | "key_id">): T;
}

/** A signer from a raw 32-byte Ed25519 seed (private key). Uses node:crypto when present, else noble. */
export function createSigner(
  seed: Uint8Array,
  backend: Ed25519Backend = nodeCrypto ? "node" : "noble",
): Signer {
  if (seed.length !== 32) throw new TypeError("an Ed25519 seed is 32 bytes");
  const publicKey = ed.getPublicKey(seed);
  const publicKeyHex = bytesToHex(publicKey);
  const keyId = keyIdOf(publicKey);
  let signDigest: (digestHex: string) => string;
  if (backend === "node") {
    const crypto = nodeCrypto;
    if (!crypto) throw new Error("node:crypto is not available in this runtime");
    const key = crypto.createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    });
    signDigest = (digestHex) => crypto.sign(null, Buffer.from(digestHex, "hex"), key).toString("hex");
  } else {
    signDigest = (digestHex) => bytesToHex(ed.sign(hexToBytes(digestHex), seed));
  }
  return {
    keyId,
    publicKeyHex,
    signDigest,
    signEntry(body) {
      const withKey = { ...body, key_id: keyId };
      return { ...withKey, sig: signDigest(entryHash(withKey)) };
    },
    signRecord(record) {
      const withKey = { ...record, key_id: keyId, sig: "" } as unknown as JournalCheckpoint | JournalSeal;
      return { ...withKey, sig: signDigest(recordHash(withKey)) } as never;
    },
  };
}

/** Verifies Ed25519 signatures for a set of trusted public keys, addressed by key id. */
export interface Verifier {
  readonly backend: Ed25519Backend;
  has(keyId: string): boolean;
  verifyDigest(keyId: string, digestHex: string, sigHex: string): boolean;
}

/** A verifier for raw public keys (hex or bytes). node:crypto fast path when present, noble elsewhere. */
export function createVerifier(
  publicKeys: Iterable<string | Uint8Array>,
  backend: Ed25519Backend = nodeCrypto ? "node" : "noble",
): Verifier {
  const keys = new Map<string, { raw: Uint8Array; node?: import("node:crypto").KeyObject }>();
  for (const k of publicKeys) {
    const raw = typeof k === "string" ? hexToBytes(k) : k;
    if (raw.length !== 32) throw new TypeError("an Ed25519 public key is 32 bytes");
    const entry: { raw: Uint8Array; node?: import("node:crypto").KeyObject } = { raw };
    if (backend === "node" && nodeCrypto) {
      entry.node = nodeCrypto.createPublicKey({
        key: Buffer.concat([SPKI_PREFIX, raw]),
        format: "der",
        type: "spki",
      });
    }
    keys.set(keyIdOf(raw), entry);
  }
  return {
    backend,
    has: (keyId) => keys.has(keyId),
    verifyDigest(keyId, digestHex, sigHex) {
      const key = keys.get(keyId);
      if (!key || !/^[0-9a-f]{128}$/.test(sigHex) || !/^[0-9a-f]{64}$/.test(digestHex)) return false;
      if (key.node && nodeCrypto) {
        return nodeCrypto.verify(null, Buffer.from(digestHex, "hex"), key.node, Buffer.from(sigHex, "hex"));
      }
      try {
        return ed.verify(hexToBytes(sigHex), hexToBytes(digestHex), key.raw);
      } catch {
        return false;
      }
    },
  };
}

/** Public key (hex) of a raw seed. */
export function publicKeyOf(seed: Uint8Array): string {
  return bytesToHex(ed.getPublicKey(seed));
}

/** A fresh random Ed25519 seed. */
export function generateSeed(): Uint8Array {
  return ed.utils.randomSecretKey();
}
