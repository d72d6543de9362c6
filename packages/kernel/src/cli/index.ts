import { isRpcError, OstkError, type OstkRpcError } from "@ostk/lib";
import { CliError, type CliIo, type CommandArgs, type Flags, processIo } from "./io.js";

/** Exit codes: stable, documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  verifyFailed: 3,
  conflict: 4,
  unavailable: 5,
  denied: 6,
} as const;

type Loader = () => Promise<(a: CommandArgs) => Promise<number | undefined>>;

/** Commands, loaded lazily so `ostk read` never pays for the MCP SDK. */
const COMMANDS: Record<string, { load: Loader; summary: string }> = {
  init: {
    load: async () => (await import("./commands/init.js")).init,
    summary: "create .ostk/ (config, default pin) and your signing key",
  },
  daemon: {
    load: async () => (await import("./commands/daemon.js")).daemon,
    summary: "run the kernel (foreground; --detach, stop, status)",
  },
  config: {
    load: async () => (await import("./commands/config.js")).config,
    summary: "show the effective configuration and where each setting came from",
  },
  boot: {
    load: async () => (await import("./commands/boot.js")).boot,
    summary: "read-only self-check with a confidence score (--json)",
  },
  audit: {
    load: async () => (await import("./commands/audit.js")).audit,
    summary: "verify | log | seal the journal",
  },
  status: {
    load: async () => (await import("./commands/status.js")).status,
    summary: "daemon pid, journal head, tracked files, connections",
  },
  ps: {
    load: async () => (await import("./commands/status.js")).ps,
    summary: "sessions known to the kernel",
  },
  key: {
    load: async () => (await import("./commands/key.js")).key,
    summary: "show | rotate the signing key",
  },
  read: {
    load: async () => (await import("./commands/file.js")).read,
    summary: "print a file through the daemon",
  },
  write: {
    load: async () => (await import("./commands/file.js")).write,
    summary: "write stdin (or --content) to a file through the daemon",
  },
  edit: {
    load: async () => (await import("./commands/file.js")).edit,
    summary: "replace --old with --new in a file through the daemon",
  },
  exec: {
    load: async () => (await import("./commands/exec.js")).exec,
    summary: "run a command in the sandbox through the daemon (ostk exec -- <cmd>)",
  },
  approvals: {
    load: async () => (await import("./commands/exec.js")).approvals,
    summary: "list pending approval requests",
  },
  approve: {
    load: async () => (await import("./commands/exec.js")).approve,
    summary: "approve a pending request (it runs once)",
  },
  deny: {
    load: async () => (await import("./commands/exec.js")).deny,
    summary: "deny a pending request (it never runs)",
  },
  mcp: {
    load: async () => (await import("./commands/mcp.js")).mcp,
    summary: "MCP System ABI server on stdio (starts the daemon if needed)",
  },
  agentfile: {
    load: async () => (await import("../agentfile/command.js")).agentfileCliCommand,
    summary: "new | lint | validate | show an Agentfile",
  },
  run: {
    load: async () => (await import("../orchestrator/run-command.js")).runCommand,
    summary: "run an Agentfile (--task, --model, --resume <session>, --dry-run)",
  },
  kill: {
    load: async () => (await import("../orchestrator/run-command.js")).killCommand,
    summary: "stop an agent run and the processes it started",
  },
};

const HELP = `ostk — governed file syscalls, a signed write-ahead journal and an MCP bridge for AI agents

Usage: ostk <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Global options:
  -C, --workspace <dir>  workspace root (default: nearest parent with .ostk/, else the current directory)
  --json                 machine-readable output where supported
  -h, --help             help for ostk or a command
  -v, --version          print the version

Exit codes: 0 ok, 1 failure, 2 usage, 3 verification failed, 4 revision conflict, 5 daemon unavailable, 6 denied.
`;

/** Minimal argv parser: --flag, --flag=value, --flag value (for flags declared as taking values), -x. */
export function parseArgv(argv: string[]): { positionals: string[]; flags: Flags } {
  const valued = new Set([
    "workspace",
    "C",
    "content",
    "old",
    "new",
    "since",
    "path",
    "actor",
    "offset",
    "limit",
    "expected-gen",
    "gpg-key",
    "timeout",
    "socket",
    "name",
    "reason",
    "limit-entries",
    "task",
    "model",
    "resume",
  ]);
  const positionals: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags[name] = a.slice(eq + 1);
      else if (valued.has(name) && i + 1 < argv.length) flags[name] = argv[++i];
      else flags[name] = true;
    } else if (a.startsWith("-") && a.length > 1) {
      const name = a.slice(1);
      const long = { h: "help", v: "version", C: "workspace", j: "json" }[name] ?? name;
      if (valued.has(name) && i + 1 < argv.length) flags[long] = argv[++i];
      else flags[long] = true;
    } else positionals.push(a);
  }
  return { positionals, flags };
}

/** Turns any failure into a message and an exit code. The only place errors become exit codes. */
export function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CliError) {
    io.err(`ostk: ${err.message}`);
    return err.exitCode;
  }
  if (isRpcError(err)) {
    const e = err as OstkRpcError;
    io.err(`ostk: ${e.message}${e.kind !== "Unknown" ? ` [${e.kind}]` : ""}`);
    if (e.kind === "RevisionConflict") return EXIT.conflict;
    if (e.kind === "Unavailable" || e.kind === "ShuttingDown") return EXIT.unavailable;
    if (
      [
        "PolicyDenied",
        "ApprovalDenied",
        "PathOutsideWorkspace",
        "ProtectedPath",
        "SandboxUnavailable",
      ].includes(e.kind)
    )
      return EXIT.denied;
    if (e.kind === "InvalidParams") return EXIT.usage;
    return EXIT.failure;
  }
  if (err instanceof OstkError) {
    io.err(`ostk: ${err.message}`);
    return err.code === "DaemonNotRunning" ? EXIT.unavailable : EXIT.failure;
  }
  const e = err as NodeJS.ErrnoException;
  io.err(`ostk: unexpected error: ${e?.stack ?? String(err)}`);
  return EXIT.failure;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { positionals, flags } = parseArgv(argv);
  if (flags.version) {
    io.out("0.1.0");
    return EXIT.ok;
  }
  const [name, ...args] = positionals;
  if (!name) {
    io.out(HELP);
    return flags.help ? EXIT.ok : EXIT.usage;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    io.err(`ostk: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    const run = await cmd.load();
    return (await run({ args, flags, io })) ?? EXIT.ok;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

export { COMMANDS, HELP };
