/**
 * The kernel as its own process for the benchmarks, as `ostk daemon` runs it (clients in another
 * process, each side on its own core). argv: workspace, key path, "signed"|"unsigned",
 * "durable"|"nosync". Prints `ready` once the socket serves; stops on SIGTERM or when stdin closes.
 */
import { startKernel } from "../src/daemon/start-kernel.js";

const [workspace, keyPath, signArg, durableArg] = process.argv.slice(2);
const k = await startKernel({
  workspace: workspace!,
  keyPath: keyPath!,
  sign: signArg !== "unsigned",
  durable: durableArg !== "nosync",
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await k.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
process.stdout.write("ready\n");
