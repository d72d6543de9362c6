import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";

export { bytesToHex, hexToBytes, utf8ToBytes };

type NodeCrypto = typeof import("node:crypto");

/** node:crypto when running on Node (loaded without a static import, so browsers and workers still work). */
export const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    return p?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
})();

/** SHA-256 of UTF-8 text or bytes. */
export function sha256(data: string | Uint8Array): Uint8Array {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash("sha256").update(data).digest());
  return nobleSha256(typeof data === "string" ? utf8ToBytes(data) : data);
}

export function sha256Hex(data: string | Uint8Array): string {
  if (nodeCrypto) return nodeCrypto.createHash("sha256").update(data).digest("hex");
  return bytesToHex(nobleSha256(typeof data === "string" ? utf8ToBytes(data) : data));
}
