import { execFileSync, spawnSync } from "node:child_process";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/journal/canonical.js";
import { entryLine, type JournalCheckpoint } from "../../src/journal/entry.js";
import { createSigner, generateSeed } from "../../src/journal/sign.js";
import { verifyJournal } from "../../src/journal/verify.js";
import { tempDir } from "../helpers.js";
import { TestJournal } from "../journal-fixture.js";

const seed = generateSeed();
const signer = createSigner(seed);
const keys = [signer.publicKeyHex];

function journal(dir: string): TestJournal {
  const j = new TestJournal(dir, signer);
  j.append(20);
  j.rotate();
  j.append(15);
  j.rotate();
  j.append(25);
  j.checkpoint();
  return j;
}

describe("verifyJournal", () => {
  it("accepts an intact journal across sealed epochs with its checkpoint, with both backends", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    for (const backend of ["node", "noble"] as const) {
      const r = await verifyJournal(j.path, { keys, backend });
      expect(r.ok, JSON.stringify(r.first_bad)).toBe(true);
      expect(r.entries).toBe(60);
      expect(r.epochs).toBe(2);
      expect(r.head_seq).toBe(60);
      expect(r.checkpoint?.ok).toBe(true);
    }
  });

  it("detects an edited entry (re-canonicalised) at its seq", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const lines = j.liveLines();
    const e = JSON.parse(lines[4]);
    e.path = "src/evil.ts";
    lines[4] = entryLine(e);
    j.writeLive(lines);
    const r = await verifyJournal(j.path, { keys });
    expect(r.ok).toBe(false);
    expect(r.first_bad).toMatchObject({ seq: 40, line: 5, epoch: 0 });
    expect(r.first_bad?.reason).toMatch(/signature invalid/);
  });

  it("detects bytes that are not canonical (whitespace edit)", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const lines = j.liveLines();
    lines[2] = lines[2].replace('"event":', '"event": ');
    j.writeLive(lines);
    const r = await verifyJournal(j.path, { keys });
    expect(r.first_bad).toMatchObject({ seq: 38, line: 3 });
    expect(r.first_bad?.reason).toMatch(/canonical/);
  });

  it("detects a deleted entry and reordered entries", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const lines = j.liveLines();
    j.writeLive([...lines.slice(0, 7), ...lines.slice(8)]);
    const del = await verifyJournal(j.path, { keys });
    expect(del.first_bad).toMatchObject({ seq: 43, line: 8 });
    expect(del.first_bad?.reason).toMatch(/seq gap: expected 43, found 44/);
    const swapped = [...lines];
    [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
    j.writeLive(swapped);
    const re = await verifyJournal(j.path, { keys });
    expect(re.first_bad).toMatchObject({ seq: 46, line: 11 });
  });

  it("detects forged entries: unknown key, and a re-chained forgery by another key", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const mallory = createSigner(generateSeed());
    const lines = j.liveLines();
    const { sig: _s, key_id: _k, ...body } = JSON.parse(lines[9]);
    lines[9] = entryLine(mallory.signEntry({ ...body, data: { op: "delete" } }));
    j.writeLive(lines);
    const r = await verifyJournal(j.path, { keys });
    expect(r.first_bad).toMatchObject({ seq: 45, line: 10 });
    expect(r.first_bad?.reason).toMatch(/unknown key/);
    // The same forgery is accepted only when the forger's key is trusted — and then the next entry's chain breaks.
    const r2 = await verifyJournal(j.path, { keys: [...keys, mallory.publicKeyHex] });
    expect(r2.first_bad).toMatchObject({ seq: 46 });
    expect(r2.first_bad?.reason).toMatch(/hash chain broken/);
  });

  it("detects a cut tail only with the checkpoint, and names the first missing seq", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const lines = j.liveLines();
    j.writeLive(lines.slice(0, 20)); // seq 36..55 remain; 56..60 cut
    const without = await verifyJournal(j.path, { keys, checkpoint: null });
    expect(without.ok).toBe(true);
    expect(without.notes.join(" ")).toMatch(/cut from the end .* unnoticed/);
    const r = await verifyJournal(j.path, { keys });
    expect(r.ok).toBe(false);
    expect(r.first_bad).toMatchObject({ seq: 56, line: 21 });
    expect(r.first_bad?.reason).toMatch(/tail of the journal was cut/);
    expect(r.checkpoint?.ok).toBe(false);
  });

  it("detects a modified or missing sealed epoch", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const sealed = join(j.sealsDir, "epoch-000001.jsonl");
    const text = readFileSync(sealed, "utf8");
    writeFileSync(sealed, text.replace('"plain"', '"plain" '));
    const r = await verifyJournal(j.path, { keys });
    expect(r.first_bad?.epoch).toBe(1);
    expect(r.first_bad?.reason).toMatch(/modified after sealing/);
    writeFileSync(sealed, text);
    expect((await verifyJournal(j.path, { keys })).ok).toBe(true);
    // Drop epoch 1 entirely.
    const { rmSync } = await import("node:fs");
    rmSync(sealed);
    rmSync(join(j.sealsDir, "epoch-000001.seal.json"));
    const gone = await verifyJournal(j.path, { keys });
    expect(gone.first_bad?.reason).toMatch(/epoch 1 is missing/);
  });

  it("verifies lines in memory (no files) and reports JSON errors", async () => {
    using tmp = tempDir();
    const j = new TestJournal(tmp.dir, signer);
    j.append(3);
    const lines = j.entries.map(entryLine);
    expect((await verifyJournal(lines, { keys })).ok).toBe(true);
    const r = await verifyJournal([lines[0], "{oops", lines[2]], { keys });
    expect(r.first_bad).toEqual({
      seq: 2,
      line: 2,
      file: "<lines>",
      epoch: 0,
      reason: "the line is not valid JSON",
    });
  });

  it("checks a GPG-signed checkpoint with the gpg binary, or says clearly that it cannot", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const cp = JSON.parse(readFileSync(j.checkpointPath, "utf8")) as JournalCheckpoint;
    const hasGpg = spawnSync("gpg", ["--version"]).status === 0;
    if (!hasGpg) {
      const r = await verifyJournal(j.path, { keys, checkpoint: { ...cp, gpg_sig: "x" } });
      expect(r.checkpoint?.gpg?.status).toBe("unavailable");
      expect(r.notes.join(" ")).toMatch(/gpg binary .* not installed/);
      return;
    }
    const home = join(tmp.dir, "gnupg");
    mkdirSync(home, { mode: 0o700 });
    const gpg = (args: string[], input?: string) =>
      execFileSync(
        "gpg",
        ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args],
        {
          input,
          stdio: ["pipe", "pipe", "pipe"],
        },
      ).toString();
    gpg(["--quick-gen-key", "ostk test <test@ostk.invalid>", "ed25519", "sign", "never"]);
    const { sig: _s, gpg_sig: _g, ...body } = cp;
    const armored = gpg(["--armor", "--detach-sign"], canonicalJson(body));
    const good = await verifyJournal(j.path, {
      keys,
      checkpoint: { ...cp, gpg_sig: armored },
      gpg: { homedir: home },
    });
    expect(good.checkpoint?.gpg?.status).toBe("verified");
    expect(good.ok).toBe(true);
    const forged = await verifyJournal(j.path, {
      keys,
      checkpoint: {
        ...cp,
        gpg_sig: armored,
        ts: cp.ts + 1,
        sig: signer.signRecord<JournalCheckpoint>({ ...body, ts: cp.ts + 1 }).sig,
      },
      gpg: { homedir: home },
    });
    expect(forged.checkpoint?.gpg?.status).toBe("failed");
    expect(forged.ok).toBe(false);
    const missing = await verifyJournal(j.path, {
      keys,
      checkpoint: { ...cp, gpg_sig: armored },
      gpg: { bin: "gpg-not-installed-here" },
    });
    expect(missing.checkpoint?.gpg?.status).toBe("unavailable");
    expect(missing.notes.join(" ")).toMatch(/not installed/);
  }, 60_000);
});

describe("Ed25519 backends agree on shared vectors", () => {
  // RFC 8032 §7.1 tests 1–3: secret key, public key, message, signature.
  const vectors = [
    [
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ],
    [
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ],
    [
      "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      "af82",
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ],
  ];
  const spki = (pub: string) =>
    createPublicKey({
      key: Buffer.from(`302a300506032b6570032100${pub}`, "hex"),
      format: "der",
      type: "spki",
    });

  it("noble and node:crypto accept the vectors and reject a flipped bit alike", () => {
    for (const [sk, pub, msg, sig] of vectors) {
      const m = Buffer.from(msg, "hex");
      const s = Buffer.from(sig, "hex");
      expect(Buffer.from(ed.getPublicKey(Buffer.from(sk, "hex"))).toString("hex")).toBe(pub);
      expect(ed.verify(s, m, Buffer.from(pub, "hex"))).toBe(true);
      expect(nodeVerify(null, m, spki(pub), s)).toBe(true);
      const bad = Buffer.from(s);
      bad[5] ^= 1;
      expect(ed.verify(bad, m, Buffer.from(pub, "hex"))).toBe(false);
      expect(nodeVerify(null, m, spki(pub), bad)).toBe(false);
    }
  });

  it("noble and node:crypto verifiers give the same verdict on every entry of a tampered journal", async () => {
    using tmp = tempDir();
    const j = journal(tmp.dir);
    const lines = j.liveLines();
    const e = JSON.parse(lines[12]);
    e.data = { op: "exec" };
    lines[12] = entryLine(e);
    j.writeLive(lines);
    const a = await verifyJournal(j.path, { keys, backend: "node" });
    const b = await verifyJournal(j.path, { keys, backend: "noble" });
    expect(a).toEqual(b);
    expect(a.first_bad?.seq).toBe(48);
  });
});
