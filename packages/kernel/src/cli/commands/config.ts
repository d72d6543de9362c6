import { explainConfig, formatExplainedConfig } from "@ostk/lib";
import { KERNEL_CONFIG_SPEC, loadKernelLayers } from "../../daemon/config.js";
import { CliError, type CommandArgs } from "../io.js";
import { workspaceOf } from "../workspace.js";

export const configHelp = `Usage: ostk config show [-C <dir>] [--json]

Prints the kernel's effective configuration: every setting, its value and where it came from
(default, .ostk/config.toml, OSTK_PIN / OSTK_KEY_DIR). Secret-looking values are redacted.
An invalid configuration is reported setting by setting and exits 2.`;

/** `ostk config show`: the effective kernel configuration with the source of each setting. */
export async function config({ args, flags, io }: CommandArgs): Promise<number> {
  const sub = args[0] ?? "show";
  if (flags.help) {
    io.out(configHelp);
    return 0;
  }
  if (sub !== "show") throw new CliError(`unknown config subcommand "${sub}"\n\n${configHelp}`, 2);
  const r = loadKernelLayers(workspaceOf(flags, io), io.env);
  if (!r.ok) throw new CliError(r.error.message, 2);
  const rows = explainConfig(KERNEL_CONFIG_SPEC, r.config, r.provenance);
  if (flags.json) io.out(JSON.stringify(rows.map(({ key, json, from }) => ({ key, value: json, from }))));
  else io.out(formatExplainedConfig(rows));
  return 0;
}
