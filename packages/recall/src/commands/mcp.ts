import { serveStdio } from "../mcp/mcp-server.js";
import { openRecall } from "../recall.js";
import { type Args, findWorkspace } from "./args.js";
import { stderrLogger } from "./stderr-logger.js";

/** `ostk-recall --stdio`: MCP over stdin/stdout (stdout carries only protocol frames). */
export async function mcpCommand(args: Args): Promise<number> {
  const recall = await openRecall({ workspace: findWorkspace(args.flags), logger: stderrLogger() });
  try {
    await serveStdio(recall);
  } finally {
    await recall.close();
  }
  return 0;
}
