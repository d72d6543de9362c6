import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { nativeDir } from "./native-dir.js";

/** The ostk-fastfs addon (native/ostk-fastfs.c); functions a build older than this package lacks are absent. */
export interface Fastfs {
  exchange(a: string, b: string): void;
  /**
   * One thread-pool job for a batch: per op, create+write+close `tmp`, exchange with (or rename to)
   * `target`, unlink, stat; one result (or Error) per op.
   */
  writeReplaceBatch?(
    ops: [tmp: string, target: string, data: Buffer, mode: number][],
  ): Promise<(NativeReplaced | Error)[]>;
  /** One op of writeReplaceBatch on the calling thread; the same result (an Error is returned). */
  writeReplaceSync?(op: [tmp: string, target: string, data: Buffer, mode: number]): NativeReplaced | Error;
  /** One thread-pool job: for each path, open (never through a symlink) + fdatasync + close. */
  syncFiles?(paths: string[]): Promise<number>;
  /** The other end of a connected unix socket, from the kernel (SO_PEERCRED). */
  peerCred?(fd: number): { pid: number; uid: number; gid: number };
}

/** What one write-and-replace op did: how the file was put in place, and its stat right after. */
export interface NativeReplaced {
  how: string;
  size?: number;
  ino?: number;
  mtimeSec?: number;
  mtimeNsec?: number;
  ctimeSec?: number;
  ctimeNsec?: number;
}

let fastfs: Fastfs | null | undefined;
let why = "";

/** The ostk-fastfs addon (native/build/ostk-fastfs.node, built at install), or null (see `fastfsMissing`). */
export function loadFastfs(): Fastfs | null {
  if (fastfs !== undefined) return fastfs;
  fastfs = null;
  if (process.platform !== "linux") why = `not Linux (${process.platform})`;
  else if (process.env.OSTK_FASTFS === "0") why = "disabled by OSTK_FASTFS=0";
  else {
    try {
      const file = join(nativeDir(), "build", "ostk-fastfs.node");
      if (!existsSync(file))
        why = `${file} was not built (install builds it with a C compiler and Node's headers)`;
      else fastfs = createRequire(import.meta.url)(file) as Fastfs;
    } catch (err) {
      why = `ostk-fastfs failed to load: ${(err as Error).message}`;
    }
  }
  return fastfs;
}

/** Why `loadFastfs` returned null ("" when it did not). */
export function fastfsMissing(): string {
  return why;
}
