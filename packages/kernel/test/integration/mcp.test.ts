import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { readLockOwner } from "../../src/daemon/anchor-lock.js";
import { readEntries } from "../../src/journal/read.js";
import { requireBuiltCli } from "../helpers/dist.js";
import { tmpKernelEnv } from "../helpers/kernel-env.js";

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

describe("MCP System ABI over `ostk mcp`", () => {
  it("the official SDK client lists the tools and edits a file, journaled under its identity", async () => {
    const cli = requireBuiltCli();
    await using env = tmpKernelEnv();
    fs.writeFileSync(path.join(env.workspace, "notes.md"), "# Notes\n\nhello world\n");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "mcp", "-C", env.workspace],
      env: { ...process.env, OSTK_KEY_DIR: env.keyDir } as Record<string, string>,
      stderr: "pipe",
    });
    const client = new Client({ name: "sdk-test-client", version: "1.2.3" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name).sort();
      expect(names).toEqual(expect.arrayContaining(["edit", "glob", "grep", "ls", "read", "write"]));
      const edit = tools.find((t) => t.name === "edit")!;
      expect(edit.inputSchema.required).toEqual(["path", "old_str", "new_str"]);

      const read = (await client.callTool({ name: "read", arguments: { path: "notes.md" } })) as TextResult;
      expect(read.content[0].text).toContain("hello world");
      expect(read.content[0].text).toContain("gen=0");
      const ed = (await client.callTool({
        name: "edit",
        arguments: { path: "notes.md", old_str: "hello world", new_str: "hello ostk" },
      })) as TextResult;
      expect(ed.isError).toBeFalsy();
      expect(ed.content[0].text).toContain("gen=1");
      expect(fs.readFileSync(path.join(env.workspace, "notes.md"), "utf8")).toBe("# Notes\n\nhello ostk\n");

      // Someone else changes the file: the envelope says so, and a blind edit is refused.
      fs.writeFileSync(path.join(env.workspace, "notes.md"), "# Notes\n\nhello human\n");
      const grep = (await client.callTool({ name: "grep", arguments: { pattern: "hello" } })) as TextResult;
      expect(grep.content[0].text).toContain("notes.md:3: hello human");
      expect(grep.content[0].text).toMatch(/\[files\] notes\.md:gen=2:external/);
      const stale = (await client.callTool({
        name: "edit",
        arguments: { path: "notes.md", old_str: "hello human", new_str: "overwritten" },
      })) as TextResult;
      expect(stale.isError).toBe(true);
      expect(stale.content[0].text).toContain("RevisionConflict");

      const commits = [...readEntries(path.join(env.workspace, ".ostk"))].filter(
        (e) => e.event === "fs.commit" && e.data?.op === "edit",
      );
      expect(commits).toHaveLength(1);
      expect(commits[0].actor).toMatchObject({ id: "sdk-test-client", kind: "mcp" });
      expect(commits[0].actor.session).toMatch(/[0-9a-f-]{36}/);
    } finally {
      await client.close();
      const owner = readLockOwner(path.join(env.workspace, ".ostk/anchor.lock"));
      if (owner) {
        process.kill(owner.pid, "SIGTERM");
        const deadline = Date.now() + 10_000;
        while (fs.existsSync(path.join(env.workspace, ".ostk/anchor.lock")) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
      }
    }
  }, 60_000);
});
