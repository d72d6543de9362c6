import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createSigner, generateSeed, publicKeyOf, type Signer } from "@ostk/lib";

/** A temporary workspace + signer, removed on dispose (`await using`). */
export function tmpWorkspace(): {
  dir: string;
  signer: Signer;
  pub: string;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ostk-k-"));
  const seed = generateSeed();
  return {
    dir: fs.realpathSync(dir),
    signer: createSigner(seed),
    pub: publicKeyOf(seed),
    async [Symbol.asyncDispose]() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
