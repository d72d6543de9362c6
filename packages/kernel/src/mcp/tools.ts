/** The MCP System ABI tools: JSON schemas and how each maps onto a kernel method. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: {
    type: "object";
    properties: Record<string, unknown>;
    required?: string[];
    additionalProperties?: boolean;
  };
  method: string;
  /** Whether the tool changes files (then the envelope and OCC generation tracking apply). */
  mutates?: boolean;
}

const path = { type: "string", description: "Path relative to the workspace root" };
const expectedGen = {
  type: "integer",
  minimum: 0,
  description:
    "Generation you last read (optional: defaults to the generation this session last saw, so changes by others are never silently overwritten)",
};

export const FILE_TOOLS: ToolSpec[] = [
  {
    name: "read",
    method: "fs/read",
    description:
      "Read a file in the workspace. Returns its content and generation (gen). Use offset/limit (lines) for large files.",
    inputSchema: {
      type: "object",
      properties: {
        path,
        offset: { type: "integer", minimum: 1, description: "1-based first line" },
        limit: { type: "integer", minimum: 1, description: "number of lines" },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "write",
    method: "fs/write",
    mutates: true,
    description:
      "Create or overwrite a file with the full content. Atomic, journaled and signed. Refused with a revision conflict if someone else changed the file since you read it.",
    inputSchema: {
      type: "object",
      properties: { path, content: { type: "string" }, expected_gen: expectedGen },
      required: ["path", "content"],
      additionalProperties: false,
    },
  },
  {
    name: "edit",
    method: "fs/edit",
    mutates: true,
    description:
      "Replace old_str with new_str in a file (old_str must match exactly once unless replace_all). If the file changed since you read it, the edit is merged when the other change is more than 3 lines away, otherwise refused with the current generation.",
    inputSchema: {
      type: "object",
      properties: {
        path,
        old_str: { type: "string", minLength: 1 },
        new_str: { type: "string" },
        replace_all: { type: "boolean" },
        expected_gen: expectedGen,
      },
      required: ["path", "old_str", "new_str"],
      additionalProperties: false,
    },
  },
  {
    name: "ls",
    method: "fs/list",
    description: "List a directory (respects .gitignore). depth > 1 lists recursively.",
    inputSchema: {
      type: "object",
      properties: { path: { ...path, default: "" }, depth: { type: "integer", minimum: 1, maximum: 32 } },
      additionalProperties: false,
    },
  },
  {
    name: "glob",
    method: "fs/glob",
    description: "Find files by glob pattern, e.g. src/**/*.ts.",
    inputSchema: {
      type: "object",
      properties: { pattern: { type: "string", minLength: 1 }, path },
      required: ["pattern"],
      additionalProperties: false,
    },
  },
  {
    name: "grep",
    method: "fs/search",
    description: "Search file contents with a regular expression; returns path:line: text matches.",
    inputSchema: {
      type: "object",
      properties: {
        pattern: { type: "string", minLength: 1 },
        path,
        glob: { type: "string", description: "only files matching this glob" },
        ignore_case: { type: "boolean" },
        max: { type: "integer", minimum: 1, maximum: 10000 },
      },
      required: ["pattern"],
      additionalProperties: false,
    },
  },
];

export const BASH_TOOL: ToolSpec = {
  name: "bash",
  method: "exec",
  mutates: true,
  description:
    "Run a shell command in the OS sandbox with the workspace as cwd (no network, no writes outside the workspace). Files it changes are journaled. Dangerous commands wait for human approval.",
  inputSchema: {
    type: "object",
    properties: {
      command: { type: "string", minLength: 1 },
      timeoutMs: { type: "integer", minimum: 1, maximum: 600000, description: "default 120000" },
    },
    required: ["command"],
    additionalProperties: false,
  },
};
