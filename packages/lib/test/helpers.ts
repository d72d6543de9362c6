import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A short temporary directory (unix socket paths are limited to ~107 bytes). */
export function tempDir(prefix = "ostk-lib-"): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A raw line-oriented socket for sending hand-made frames. */
export async function rawSocket(path: string): Promise<{
  socket: Socket;
  send(text: string | Buffer): void;
  // biome-ignore lint/suspicious/noExplicitAny: raw frames are whatever the server sent
  next(): Promise<any>;
  close(): void;
}> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buf = "";
  const lines: string[] = [];
  let waiter: ((l: string) => void) | null = null;
  socket.on("data", (d) => {
    buf += d.toString("utf8");
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiter) {
        const w = waiter;
        waiter = null;
        w(line);
      } else lines.push(line);
      i = buf.indexOf("\n");
    }
  });
  return {
    socket,
    send: (t) => socket.write(t),
    next: () =>
      new Promise((resolve) => {
        const l = lines.shift();
        if (l !== undefined) resolve(JSON.parse(l));
        else waiter = (x) => resolve(JSON.parse(x));
      }),
    close: () => socket.destroy(),
  };
}
