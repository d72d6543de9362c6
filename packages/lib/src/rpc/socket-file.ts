import { OstkError } from "../errors.js";
import { nodeModule } from "../util/node.js";

/**
 * Clears the way for listening on `socketPath`: a socket left by a dead daemon
 * is removed; a live one, or a path that is not a socket, is an error and is
 * left untouched.
 */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  const fs = nodeModule("node:fs");
  const net = nodeModule("node:net");
  if (!fs.existsSync(socketPath)) return;
  if (!fs.lstatSync(socketPath).isSocket()) {
    throw new OstkError(
      "SocketPathTaken",
      `${socketPath} exists and is not a socket; it was left untouched — choose another socket path or move the file`,
    );
  }
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(socketPath);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
  if (alive) {
    throw new OstkError(
      "SocketInUse",
      `another daemon is already serving ${socketPath}; stop it first (or use its socket) — nothing was changed`,
    );
  }
  fs.rmSync(socketPath, { force: true });
}
