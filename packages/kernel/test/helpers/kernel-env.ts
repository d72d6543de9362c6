import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureKey } from "../../src/daemon/keys.js";

/** A temporary workspace and a key directory outside it; removed on dispose. */
export function tmpKernelEnv(): {
  root: string;
  workspace: string;
  keyDir: string;
  keyPath: string;
  pub: string;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-d-")));
  const workspace = path.join(root, "ws");
  const keyDir = path.join(root, "keys");
  fs.mkdirSync(workspace);
  const { info } = ensureKey(keyDir);
  return {
    root,
    workspace,
    keyDir,
    keyPath: info.keyPath,
    pub: info.publicKeyHex,
    async [Symbol.asyncDispose]() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
