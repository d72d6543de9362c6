/**
 * A Windmill-style script step: Windmill calls `main(args)` and stores what it
 * returns. This one writes a file through the ostk kernel under a narrowed
 * capability scope and returns an IntegrationResult (ok/status/result/effects/
 * error/metrics) so the flow can branch on `status` ("denied" → ask a human).
 *
 * Run it against a workspace with a running kernel:
 *   npx tsx packages/lib/examples/windmill-step.ts notes/today.md "hello"
 */
import { type IntegrationResult, KernelClient, runStep } from "@ostk/lib";

export interface StepArgs {
  path: string;
  content: string;
  /** Socket of the kernel; default: discovered from the working directory (or OSTK_SOCKET). */
  socket?: string;
  /** Windmill's job id, used as the caller id so the journal shows which job wrote what. */
  job_id?: string;
}

export async function main(args: StepArgs): Promise<IntegrationResult> {
  return runStep(async (step) => {
    const kernel = await KernelClient.connect({
      socketPath: args.socket,
      identity: { id: `windmill:${args.job_id ?? "local"}`, kind: "integration", name: "windmill" },
      timeoutMs: 10_000,
    });
    try {
      const scope = await kernel.negotiate(
        { capabilities: [`write:${args.path}`, "read:**"] },
        { label: "windmill step" },
      );
      step.count();
      step.effect({
        kind: "session",
        detail: { session: scope.session, granted: scope.granted, denied: scope.denied },
      });
      const written = await kernel.call("fs/write", { path: args.path, content: args.content });
      step.count();
      step.effect({ kind: "fs.write", path: written.path, seq: written.seq, detail: { gen: written.gen } });
      return { path: written.path, gen: written.gen, sha256: written.sha256 };
    } finally {
      await kernel.close();
    }
  });
}

// Standalone: `tsx windmill-step.ts <path> <content>` prints the result as JSON.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const [path, content] = process.argv.slice(2);
  if (!path || content === undefined) {
    process.stderr.write("usage: windmill-step.ts <path> <content>\n");
    process.exit(2);
  }
  main({ path, content }).then((r) => {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    process.exit(r.ok ? 0 : 1);
  });
}
