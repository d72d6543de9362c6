/** Where a command writes: human output to `out`, diagnostics to `err`. Tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): CliIo => ({
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
  cwd: process.cwd(),
  env: process.env,
});

/** A failure the CLI reports with a specific exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type Flags = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  /** Positional arguments after the command name. */
  args: string[];
  flags: Flags;
  io: CliIo;
}
