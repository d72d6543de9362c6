import type { KernelMethod } from "./handlers.js";
import type { KernelHandle } from "./start-kernel.js";

/** Methods the full daemon adds on top of the file syscalls (exec, approvals) — wired in step 6. */
export async function kernelExtensions(_k: KernelHandle): Promise<Record<string, KernelMethod>> {
  return {};
}
