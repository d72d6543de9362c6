import * as fs from "node:fs";
import { pastEnd } from "../../syscalls/read-header.js";
import { CliError, type CommandArgs } from "../io.js";
import { connectKernel, workspaceOf } from "../workspace.js";

export const fileHelp = `Usage: ostk read <path> [--offset N] [--limit N] [--json]
       ostk write <path> [--content <text> | < stdin] [--expected-gen N] [--json]
       ostk edit <path> --old <text> --new <text> [--all] [--expected-gen N] [--json]

All three go through the running daemon: confined to the workspace, journaled and signed,
refused with exit 4 (RevisionConflict) when --expected-gen is stale. \`read --json\` prints the
generation to pass as --expected-gen.`;

function help(io: CommandArgs["io"]): number {
  io.out(fileHelp);
  return 0;
}

function genFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError("--expected-gen: must be a non-negative integer", 2);
  return n;
}

function needPath(args: string[]): string {
  if (!args[0]) throw new CliError(`a path is required\n\n${fileHelp}`, 2);
  return args[0];
}

export async function read({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help) return help(io);
  const client = await connectKernel(workspaceOf(flags, io), flags, io);
  try {
    const params: Record<string, unknown> = { path: needPath(args) };
    if (flags.offset !== undefined) params.offset = Number(flags.offset);
    if (flags.limit !== undefined) params.limit = Number(flags.limit);
    const r = (await client.call("fs/read", params)) as Record<string, unknown> & {
      content: string;
      encoding: string;
    };
    if (flags.json) io.out(JSON.stringify(r));
    else if (r.encoding === "base64") process.stdout.write(Buffer.from(r.content, "base64"));
    else {
      process.stdout.write(r.content);
      if (pastEnd(r)) io.err(`ostk: ${r.path} has ${r.total_lines} lines: line ${r.offset} is past the end`);
    }
  } finally {
    await client.close();
  }
  return 0;
}

export async function write({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help) return help(io);
  const path = needPath(args);
  const content = typeof flags.content === "string" ? flags.content : fs.readFileSync(0, "utf8");
  const client = await connectKernel(workspaceOf(flags, io), flags, io);
  try {
    const r = (await client.call("fs/write", {
      path,
      content,
      expected_gen: genFlag(flags["expected-gen"]),
    })) as {
      path: string;
      gen: number;
      seq: number;
    };
    io.out(flags.json ? JSON.stringify(r) : `${r.path}: generation ${r.gen} (journal seq ${r.seq})`);
  } finally {
    await client.close();
  }
  return 0;
}

export async function edit({ args, flags, io }: CommandArgs): Promise<number> {
  if (flags.help) return help(io);
  const path = needPath(args);
  if (typeof flags.old !== "string" || typeof flags.new !== "string")
    throw new CliError("edit needs --old and --new", 2);
  const client = await connectKernel(workspaceOf(flags, io), flags, io);
  try {
    const r = (await client.call("fs/edit", {
      path,
      old_str: flags.old,
      new_str: flags.new,
      replace_all: flags.all === true,
      expected_gen: genFlag(flags["expected-gen"]),
    })) as { path: string; gen: number; seq: number; merged: boolean; note?: string };
    io.out(
      flags.json ? JSON.stringify(r) : `${r.path}: generation ${r.gen}${r.merged ? ` (${r.note})` : ""}`,
    );
  } finally {
    await client.close();
  }
  return 0;
}
