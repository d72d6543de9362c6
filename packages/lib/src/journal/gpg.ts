import { maybeNodeModule } from "../util/node.js";

export type GpgStatus =
  | { status: "verified"; signer?: string }
  | { status: "failed"; reason: string }
  | { status: "unavailable"; reason: string };

export interface GpgOptions {
  /** gpg binary (default "gpg" on PATH). */
  bin?: string;
  /** GNUPGHOME holding the trusted public key(s). */
  homedir?: string;
}

/**
 * Verifies an ASCII-armoured detached signature over `data` with the `gpg`
 * binary. Never throws: without Node or without gpg it says so.
 */
export function verifyGpgDetached(data: string, armoredSig: string, opts: GpgOptions = {}): GpgStatus {
  const cp = maybeNodeModule("node:child_process");
  const fs = maybeNodeModule("node:fs");
  const os = maybeNodeModule("node:os");
  const path = maybeNodeModule("node:path");
  if (!cp || !fs || !os || !path) {
    return {
      status: "unavailable",
      reason: "GPG signatures need Node (child_process); the Ed25519 signature was still checked",
    };
  }
  const bin = opts.bin ?? "gpg";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ostk-gpg-"));
  try {
    const sigPath = path.join(dir, "checkpoint.asc");
    const dataPath = path.join(dir, "checkpoint.json");
    fs.writeFileSync(sigPath, armoredSig);
    fs.writeFileSync(dataPath, data);
    const args = ["--batch", "--status-fd", "1", "--verify", sigPath, dataPath];
    if (opts.homedir) args.unshift("--homedir", opts.homedir);
    const res = cp.spawnSync(bin, args, { encoding: "utf8", timeout: 20_000 });
    if (res.error && (res.error as NodeJS.ErrnoException).code === "ENOENT") {
      return {
        status: "unavailable",
        reason: `the gpg binary (${bin}) is not installed, so the checkpoint's GPG signature was not checked (the Ed25519 signature was); install gnupg to check it`,
      };
    }
    const out = `${res.stdout ?? ""}`;
    const good = /^\[GNUPG:\] GOODSIG (\S+) (.*)$/m.exec(out);
    if (res.status === 0 && good && /^\[GNUPG:\] VALIDSIG /m.test(out))
      return { status: "verified", signer: good[2] };
    const why =
      /^\[GNUPG:\] (BADSIG|ERRSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG)/m.exec(out)?.[1] ?? `exit ${res.status}`;
    return { status: "failed", reason: `GPG signature does not verify (${why})` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
