import { describe, expect, it } from "vitest";
import { entryHash, entryLine, GENESIS_HASH, type JournalBody } from "./entry.js";
import { createSigner, createVerifier, generateSeed } from "./sign.js";

const body = (): JournalBody => ({
  v: 1,
  seq: 1,
  ts: 1_700_000_000_000,
  event: "fs.commit",
  actor: { id: "test", kind: "agent" },
  path: "src/a.ts",
  gen_before: 0,
  gen_after: 1,
  prev_hash: GENESIS_HASH,
  key_id: "",
});

describe("journal signing", () => {
  it("node:crypto and noble produce identical signatures and verify each other", () => {
    const seed = generateSeed();
    const node = createSigner(seed, "node");
    const noble = createSigner(seed, "noble");
    const a = node.signEntry(body());
    const b = noble.signEntry(body());
    expect(a.sig).toBe(b.sig); // Ed25519 is deterministic
    expect(a.key_id).toBe(node.keyId);
    for (const backend of ["node", "noble"] as const) {
      const v = createVerifier([node.publicKeyHex], backend);
      expect(v.verifyDigest(a.key_id, entryHash(a), a.sig)).toBe(true);
      const tampered = { ...a, path: "src/b.ts" };
      expect(v.verifyDigest(a.key_id, entryHash(tampered), a.sig)).toBe(false);
    }
  });

  it("RFC 8032 test vector 1 signs identically with both backends", () => {
    // RFC 8032 §7.1 TEST 1: the empty message.
    const seed = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
    const pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const sig =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    for (const backend of ["node", "noble"] as const) {
      const s = createSigner(seed, backend);
      expect(s.publicKeyHex).toBe(pub);
      expect(s.signDigest("")).toBe(sig);
    }
  });

  it("the stored line is canonical and key order does not change the hash", () => {
    const e = createSigner(generateSeed()).signEntry(body());
    const { sig, ...rest } = e;
    const shuffled = JSON.parse(
      JSON.stringify({ sig, ...Object.fromEntries(Object.entries(rest).reverse()) }),
    );
    expect(entryHash(shuffled)).toBe(entryHash(e));
    expect(entryLine(e)).toBe(entryLine(shuffled));
    expect(entryLine(e).startsWith('{"actor":')).toBe(true);
  });
});
