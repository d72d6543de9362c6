import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { OstkError } from "@ostk/lib";
import { describeAgentfile, formatDiagnostic } from "./format.js";
import { type CommandIO, processIO } from "./io.js";
import { type LoadedAgentfile, loadAgentfile, resolveAgentfilePath } from "./load.js";
import { agentfileTemplate } from "./template.js";
import type { Agentfile, Diagnostic } from "./types.js";

const USAGE = `usage: ostk agentfile new <name> [--model <provider/model>] [--force]
       ostk agentfile lint [<file|name>...] [--json]
       ostk agentfile validate [<file|name>] [--json]
       ostk agentfile show [<file|name>] [--json]`;

/** `ostk agentfile new|lint|validate|show`. Returns the exit code (0 ok, 1 problems found, 2 usage). */
export async function agentfileCommand(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    switch (sub) {
      case "new":
        return cmdNew(parsed, io);
      case "lint":
        return cmdCheck(parsed, io, false);
      case "validate":
        return cmdCheck(parsed, io, true);
      case "show":
        return cmdShow(parsed, io);
      default:
        io.stderr(sub ? `unknown subcommand "${sub}"\n${USAGE}` : USAGE);
        return 2;
    }
  } catch (e) {
    if (e instanceof OstkError) {
      io.stderr(`ostk agentfile: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, force: { type: "boolean" }, model: { type: "string" } },
  });
}

type Parsed = ReturnType<typeof parse>;

function cmdNew({ positionals, values }: Parsed, io: CommandIO): number {
  const name = positionals[0];
  if (!name) {
    io.stderr(`expected a name\n${USAGE}`);
    return 2;
  }
  const path =
    name.includes("/") || name.endsWith(".af") || name === "Agentfile"
      ? resolve(io.cwd, name)
      : join(io.cwd, ".ostk", "agents", `${name}.af`);
  if (existsSync(path) && !values.force) {
    io.stderr(`${relative(io.cwd, path)} already exists; kept it unchanged (use --force to overwrite)`);
    return 1;
  }
  mkdirSync(dirname(path), { recursive: true });
  const label = name.replace(/^.*\//, "").replace(/\.af$/, "");
  writeFileSync(path, agentfileTemplate(label, values.model));
  io.stdout(`created ${relative(io.cwd, path) || path}`);
  return 0;
}

function cmdCheck({ positionals, values }: Parsed, io: CommandIO, strict: boolean): number {
  const refs = positionals.length ? positionals : [undefined];
  const reports: { file: string; ok: boolean; sha256?: string; diagnostics: Diagnostic[] }[] = [];
  for (const ref of strict ? refs.slice(0, 1) : refs) {
    const loaded = loadAgentfile(resolveAgentfilePath(ref, io.cwd), { env: io.env, strictVars: strict });
    const diagnostics =
      strict && loaded.agentfile
        ? [...loaded.diagnostics, ...validateEnvironment(loaded.agentfile, loaded, io)]
        : loaded.diagnostics;
    const ok = !diagnostics.some((d) => d.severity === "error");
    reports.push({
      file: relative(io.cwd, loaded.path) || loaded.path,
      ok,
      sha256: ok ? loaded.agentfile?.sha256 : undefined,
      diagnostics,
    });
    if (!values.json) {
      for (const d of diagnostics)
        (d.severity === "error" ? io.stderr : io.stdout)(
          formatDiagnostic(d, reports.at(-1)!.file, loaded.source),
        );
      if (ok)
        io.stdout(
          `${reports.at(-1)!.file}: ok${diagnostics.length ? ` (${diagnostics.length} warning${diagnostics.length > 1 ? "s" : ""})` : ""}`,
        );
    }
  }
  if (values.json) io.stdout(JSON.stringify(strict ? reports[0] : reports, null, 2));
  return reports.every((r) => r.ok) ? 0 : 1;
}

/** Checks that need the machine: the pin exists, the provider has a key or base URL. */
export function validateEnvironment(af: Agentfile, loaded: LoadedAgentfile, io: CommandIO): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lineOf = (kw: string) => {
    const i = loaded.source.split(/\r?\n/).findIndex((l) => l.trimStart().toUpperCase().startsWith(`${kw} `));
    return i < 0 ? 1 : i + 1;
  };
  if (af.pin) {
    const pinPath = findUp(io.cwd, join(".ostk", "pins", af.pin, "pin.caps"));
    if (!pinPath)
      out.push({
        severity: "error",
        line: lineOf("PIN"),
        column: 5,
        code: "pin-not-found",
        message: `pin "${af.pin}" not found: expected .ostk/pins/${af.pin}/pin.caps in this workspace (run "ostk init" or create it)`,
      });
  }
  const p = af.from.provider;
  const hasAnthropic = !!(io.env.ANTHROPIC_API_KEY || io.env.ANTHROPIC_AUTH_TOKEN);
  const hasOpenAI = !!io.env.OPENAI_API_KEY;
  if (
    (p === "anthropic" && !hasAnthropic) ||
    ((p === "openai" || p === "openai-responses") && !hasOpenAI) ||
    (p === "auto" && !hasAnthropic && !hasOpenAI)
  ) {
    const want =
      p === "anthropic"
        ? "ANTHROPIC_API_KEY"
        : p === "auto"
          ? "ANTHROPIC_API_KEY or OPENAI_API_KEY"
          : "OPENAI_API_KEY";
    out.push({
      severity: "error",
      line: lineOf("FROM"),
      column: 6,
      code: "no-credentials",
      message: `FROM ${af.from.raw} needs ${want} in the environment`,
    });
  }
  return out;
}

function findUp(start: string, rel: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

function cmdShow({ positionals, values }: Parsed, io: CommandIO): number {
  const loaded = loadAgentfile(resolveAgentfilePath(positionals[0], io.cwd), { env: io.env });
  const file = relative(io.cwd, loaded.path) || loaded.path;
  if (!loaded.agentfile) {
    for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d, file, loaded.source));
    return 1;
  }
  io.stdout(values.json ? JSON.stringify(loaded.agentfile, null, 2) : describeAgentfile(loaded.agentfile));
  return 0;
}

/** Adapter for the kernel CLI's command table (`{ args, flags, io }` with flags already parsed). */
export async function agentfileCliCommand(a: {
  args: string[];
  flags: Record<string, string | boolean | undefined>;
  io: { out(t: string): void; err(t: string): void; cwd: string; env: Record<string, string | undefined> };
}): Promise<number> {
  const argv = [...a.args];
  for (const k of ["json", "force"]) if (a.flags[k]) argv.push(`--${k}`);
  if (typeof a.flags.model === "string") argv.push("--model", a.flags.model);
  if (a.flags.help) {
    a.io.out(USAGE);
    return 0;
  }
  return agentfileCommand(argv, { cwd: a.io.cwd, env: a.io.env, stdout: a.io.out, stderr: a.io.err });
}
