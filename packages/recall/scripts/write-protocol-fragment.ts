// Writes packages/lib/protocol/methods/recall.json from src/mcp/schemas.ts (then run `pnpm gen` at the root).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { protocolFragment } from "../src/mcp/protocol-fragment.js";

const out = fileURLToPath(new URL("../../lib/protocol/methods/recall.json", import.meta.url));
writeFileSync(out, `${JSON.stringify(protocolFragment(), null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
