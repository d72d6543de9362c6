import type { ToolCall as PolicyCall } from "../policy/tool-call.js";
import { readHeader } from "../syscalls/read-header.js";
import type { ToolSpec } from "./model-types.js";

/** A tool the model can be offered, and how it maps onto one kernel syscall. */
export interface CatalogTool {
  spec: ToolSpec;
  /** The kernel JSON-RPC method that executes it. */
  method: string;
  /** The Agentfile grant that allows it: `file:<verb>` or `shell`. */
  family: "file" | "shell";
  verb: "read" | "write" | "edit" | "delete" | "exec";
  /** Argument names holding workspace paths (checked against a grant's scope). */
  pathArgs: string[];
  /** Model arguments → syscall params. */
  params?(input: Record<string, unknown>): Record<string, unknown>;
  /** The call as the policy's decision chain sees it (for the Agentfile's PIN). */
  policy(input: Record<string, unknown>): PolicyCall;
  /** Syscall result → the text the model sees. */
  format(result: unknown, input: Record<string, unknown>): string;
}

const str = (description: string) => ({ type: "string", description });
const obj = (properties: Record<string, unknown>, required: string[]) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});
type R = Record<string, unknown>;
const gen = (r: R) => (r.gen !== undefined ? ` gen=${r.gen}` : "");

export const TOOL_CATALOG: CatalogTool[] = [
  {
    spec: {
      name: "read",
      description: "Read a text file of the workspace. Returns its content and generation.",
      input_schema: obj(
        {
          path: str("workspace-relative path"),
          offset: { type: "integer", minimum: 1, description: "first line (1-based)" },
          limit: { type: "integer", minimum: 1, description: "number of lines" },
        },
        ["path"],
      ),
    },
    method: "fs/read",
    policy: (i) => ({ verb: "read", path: String(i.path) }),
    family: "file",
    verb: "read",
    pathArgs: ["path"],
    format: (r) => {
      const x = r as R;
      return `${readHeader(x)}\n${x.content}`;
    },
  },
  {
    spec: {
      name: "list",
      description: "List a directory of the workspace (or the workspace root).",
      input_schema: obj(
        {
          path: str("workspace-relative directory (default: root)"),
          depth: { type: "integer", minimum: 1, maximum: 8 },
        },
        [],
      ),
    },
    method: "fs/list",
    policy: (i) => (i.path ? { verb: "list", path: String(i.path) } : { verb: "list" }),
    family: "file",
    verb: "read",
    pathArgs: ["path"],
    format: (r) => JSON.stringify(r),
  },
  {
    spec: {
      name: "search",
      description: "Search file contents with a regular expression.",
      input_schema: obj(
        {
          pattern: str("regular expression"),
          path: str("directory to search (default: root)"),
          glob: str("only files matching this glob"),
        },
        ["pattern"],
      ),
    },
    method: "fs/search",
    policy: (i) => (i.path ? { verb: "grep", path: String(i.path) } : { verb: "grep" }),
    family: "file",
    verb: "read",
    pathArgs: ["path"],
    format: (r) => JSON.stringify(r),
  },
  {
    spec: {
      name: "write",
      description: "Create or replace a file with the given content.",
      input_schema: obj({ path: str("workspace-relative path"), content: str("the whole new content") }, [
        "path",
        "content",
      ]),
    },
    method: "fs/write",
    policy: (i) => ({ verb: "write", path: String(i.path) }),
    family: "file",
    verb: "write",
    pathArgs: ["path"],
    format: (r) => `wrote ${(r as R).path}${gen(r as R)}`,
  },
  {
    spec: {
      name: "edit",
      description:
        "Replace one exact occurrence of old_str by new_str in a file (replace_all for every occurrence).",
      input_schema: obj(
        {
          path: str("workspace-relative path"),
          old_str: { type: "string", minLength: 1 },
          new_str: { type: "string" },
          replace_all: { type: "boolean" },
        },
        ["path", "old_str", "new_str"],
      ),
    },
    method: "fs/edit",
    policy: (i) => ({ verb: "edit", path: String(i.path) }),
    family: "file",
    verb: "edit",
    pathArgs: ["path"],
    format: (r) => {
      const x = r as R;
      return `edited ${x.path}${gen(x)}${x.merged ? " (merged with a concurrent change)" : ""}`;
    },
  },
  {
    spec: {
      name: "delete",
      description: "Delete a file.",
      input_schema: obj({ path: str("workspace-relative path") }, ["path"]),
    },
    method: "fs/delete",
    policy: (i) => ({ verb: "delete", path: String(i.path) }),
    family: "file",
    verb: "delete",
    pathArgs: ["path"],
    format: (r) => `deleted ${(r as R).path}`,
  },
  {
    spec: {
      name: "bash",
      description: "Run a shell command in the sandbox with the workspace as working directory. No network.",
      input_schema: obj(
        {
          command: { type: "string", minLength: 1 },
          timeout_ms: { type: "integer", minimum: 100, maximum: 600_000 },
        },
        ["command"],
      ),
    },
    method: "exec",
    policy: (i) => ({ verb: "exec", command: String(i.command) }),
    family: "shell",
    verb: "exec",
    pathArgs: [],
    params: (i) => ({
      command: i.command,
      ...(i.timeout_ms !== undefined ? { timeoutMs: i.timeout_ms } : {}),
    }),
    format: (r) => {
      const x = r as R;
      const status = x.timedOut || x.timed_out ? "timed out" : `exit ${x.exitCode ?? x.exit_code}`;
      return `[${status}]\n${x.stdout ?? ""}${x.stderr ? `\n[stderr]\n${x.stderr}` : ""}`;
    },
  },
];

export function catalogTool(name: string): CatalogTool | undefined {
  return TOOL_CATALOG.find((t) => t.spec.name === name);
}
