/** Where a command writes and what it sees; tests pass their own. */
export interface CommandIO {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function processIO(): CommandIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
    stderr: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
  };
}
