import { isAbsolute, join, resolve } from "node:path";
import { OstkRpcError } from "@ostk/lib";
import {
  DEVICE_PATHS,
  PROTECTED_WORKSPACE_PATHS,
  type SandboxPolicy,
  SYSTEM_READ_PATHS,
  SYSTEM_SECRET_PATHS,
} from "./sandbox-policy.js";

export interface SeatbeltInput {
  workspace: string;
  policy?: SandboxPolicy;
  tmpDir?: string;
  extraRead?: string[];
}

/** A string literal in SBPL (Scheme-like): backslash and double quote escaped, no control characters. */
export function sbplString(s: string): string {
  if (/[\0-\x1f]/.test(s)) throw new Error(`path contains a control character: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const MACOS_SYSTEM_READ = ["/System", "/Library", "/private/etc", "/private/var/db/timezone", "/dev"];

/**
 * The Seatbelt profile (`sandbox-exec -p`) for the same policy as the Linux launcher. SBPL's later rules
 * win, so protected paths are denied after the workspace is allowed (no splitting needed as on Landlock).
 */
export function seatbeltProfile(input: SeatbeltInput): string {
  const policy = input.policy ?? {};
  const ws = resolve(input.workspace);
  const lines: string[] = [
    "(version 1)",
    "(deny default)",
    "(allow process-exec process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read)",
    '(allow mach-lookup (global-name "com.apple.system.logger") (global-name "com.apple.system.opendirectoryd.libinfo"))',
    "(allow ipc-posix-shm-read-data ipc-posix-sem)",
    "(allow file-read-metadata)",
  ];
  const read = [
    ...SYSTEM_READ_PATHS,
    ...MACOS_SYSTEM_READ,
    ws,
    ...(input.extraRead ?? []),
    ...(policy.readable ?? []),
  ];
  lines.push(`(allow file-read* ${read.map((p) => `(subpath ${sbplString(p)})`).join(" ")})`);
  const writable = (policy.writable ?? ["."]).map((p) => (isAbsolute(p) ? p : join(ws, p)));
  if (input.tmpDir) writable.push(resolve(input.tmpDir));
  lines.push(`(allow file-read* file-write* ${writable.map((p) => `(subpath ${sbplString(p)})`).join(" ")})`);
  lines.push(
    `(allow file-read* file-write-data file-ioctl ${DEVICE_PATHS.map((p) => `(literal ${sbplString(p)})`).join(" ")})`,
  );
  const protectedPaths = [...PROTECTED_WORKSPACE_PATHS, ...(policy.protectedPaths ?? [])].map((p) =>
    join(ws, p),
  );
  lines.push(`(deny file-write* ${protectedPaths.map((p) => `(subpath ${sbplString(p)})`).join(" ")})`);
  const secrets = [...SYSTEM_SECRET_PATHS, ...(policy.secretPaths ?? [])];
  lines.push(`(deny file-read* file-write* ${secrets.map((p) => `(subpath ${sbplString(p)})`).join(" ")})`);
  if (!policy.allowChmod) {
    lines.push("(deny file-write-mode file-write-owner)");
  }
  const net = policy.network ?? "none";
  if (net === "open") {
    lines.push("(allow network*)");
  } else {
    if (typeof net === "object") {
      for (const p of net.connect ?? []) {
        lines.push(`(allow network-outbound (remote tcp ${sbplString(seatbeltRemote(p))}))`);
      }
      for (const p of net.bind ?? []) {
        lines.push(`(allow network-bind network-inbound (local tcp ${sbplString(`*:${p}`)}))`);
      }
    }
    if (policy.allowUnixSockets) lines.push("(allow network-outbound (remote unix-socket))");
  }
  return `${lines.join("\n")}\n`;
}

/** SBPL can name only `*` or `localhost` as a remote host: other addresses cannot be expressed, so refuse. */
function seatbeltRemote(entry: number | string): string {
  if (typeof entry === "number") return `*:${entry}`;
  const m = /^(?:\[(::1)\]|(127\.0\.0\.1)):(\d{1,5})$/.exec(entry);
  if (!m) {
    throw new OstkRpcError(
      "SandboxUnavailable",
      `Seatbelt cannot restrict a connection to ${entry}: only a port (any host) or localhost can be expressed`,
    );
  }
  return `localhost:${m[3]}`;
}
