import { explainConfig, formatExplainedConfig } from "@ostk/lib";
import { loadRecallLayers, RECALL_CONFIG_SPEC } from "../config.js";
import { type Args, findWorkspace } from "./args.js";

/** `ostk-recall config [--json]`: every setting, its value and where it came from. Exit 2 when invalid. */
export async function configCommand(args: Args): Promise<number> {
  const r = loadRecallLayers(findWorkspace(args.flags));
  if (!r.ok) {
    process.stderr.write(`ostk-recall: ${r.error.message}\n`);
    return 2;
  }
  const rows = explainConfig(RECALL_CONFIG_SPEC, r.config, r.provenance);
  if (args.flags.json)
    process.stdout.write(
      `${JSON.stringify(rows.map(({ key, json, from }) => ({ key, value: json, from })))}\n`,
    );
  else process.stdout.write(`${formatExplainedConfig(rows)}\n`);
  return 0;
}
