import * as fs from "node:fs";
import type { Socket } from "node:net";
import type { JournalPeer } from "@ostk/lib";
import { loadFastfs } from "../util/fastfs.js";

/**
 * The process on the other end of a connection to the kernel's socket, as the operating system
 * reports it (SO_PEERCRED: pid and uid at connect; the executable from /proc). Undefined where it
 * cannot be told (no ostk-fastfs addon, not Linux): entries then carry only the claimed identity.
 */
export function socketPeer(socket: Socket): JournalPeer | undefined {
  const ff = loadFastfs();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!ff?.peerCred || typeof fd !== "number" || fd < 0) return undefined;
  const { pid, uid } = ff.peerCred(fd);
  const peer: JournalPeer = { pid, uid };
  try {
    peer.exe = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // Gone already, or another user's process: pid and uid stand alone.
  }
  return peer;
}
