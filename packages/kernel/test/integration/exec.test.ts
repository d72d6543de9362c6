import * as fs from "node:fs";
import * as path from "node:path";
import { KernelClient } from "@ostk/lib";
import { describe, expect, it } from "vitest";
import { kernelExtensions } from "../../src/daemon/extensions.js";
import { startKernel } from "../../src/daemon/start-kernel.js";
import { readEntries } from "../../src/journal/read.js";
import { probeSandbox } from "../../src/sandbox/index.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

describe("the exec syscall through the daemon", () => {
  it.skipIf(!probeSandbox().available)(
    "runs in the sandbox and journals tool.bash plus each changed file with a generation bump under the caller",
    async () => {
      await using env = tmpKernelEnv();
      // Landlock cannot carve .ostk/ out of a writable workspace root, so the sandbox grants writes below
      // the root's entries: the command works inside a directory.
      fs.mkdirSync(path.join(env.workspace, "work"));
      fs.writeFileSync(path.join(env.workspace, "work/keep.txt"), "before\n");
      const k = await startKernel({
        workspace: env.workspace,
        keyPath: env.keyPath,
        extend: kernelExtensions,
      });
      const c = await KernelClient.connect({
        socketPath: k.socketPath!,
        identity: { id: "shell-agent", kind: "agent" },
      });
      await c.call("fs/read", { path: "work/keep.txt" });
      const chunks: string[] = [];
      c.rpc.onNotification("exec/output", (p: { chunk: string }) => chunks.push(p.chunk));
      const r = (await c.call("exec", {
        command: "echo made > work/new.txt && echo after > work/keep.txt && echo done",
      })) as unknown as {
        exitCode: number;
        stdout: string;
        files: { created: string[]; changed: string[] };
      };
      expect(r.exitCode, JSON.stringify(r)).toBe(0);
      expect(r.stdout).toBe("done\n");
      expect(chunks.join("")).toContain("done");
      expect(r.files.created).toEqual(["work/new.txt"]);
      expect(r.files.changed).toEqual(["work/keep.txt"]);
      const stat = (await c.call("fs/stat", { path: "work/keep.txt" })) as { gen: number; writer: string };
      expect(stat).toMatchObject({ gen: 1, writer: "shell-agent" });
      await c.close();
      await k.close();
      const entries = [...readEntries(path.join(env.workspace, ".ostk"))];
      const bash = entries.find((e) => e.event === "tool.bash")!;
      expect(bash.actor.id).toBe("shell-agent");
      const commits = entries.filter((e) => e.event === "fs.commit" && e.data?.op === "exec");
      expect(commits.map((e) => [e.path, e.gen_after, e.actor.id, e.data?.exec_seq])).toEqual([
        ["work/keep.txt", 1, "shell-agent", bash.seq],
        ["work/new.txt", 1, "shell-agent", bash.seq],
      ]);
      expect(entries.some((e) => e.event === "decision")).toBe(true);
    },
    60_000,
  );
});
