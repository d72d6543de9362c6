import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OstkRpcError } from "@ostk/lib";
import { defaultPin, type Pin, parsePinCaps } from "./pin-caps.js";

export interface PinSelection {
  name: string;
  /** Which setting chose it. */
  from: "flag" | "agentfile" | "env" | "config" | "default";
}

/**
 * Which pin applies: an explicit flag > the Agentfile's `PIN` > `OSTK_PIN` > `pin` in `.ostk/config.toml` >
 * `default`. A run's Agentfile is the most specific statement of intent, so it beats the environment.
 */
export function selectPin(opts: {
  flag?: string;
  agentfilePin?: string;
  env?: NodeJS.ProcessEnv;
  configPin?: string;
}): PinSelection {
  const env = opts.env ?? process.env;
  const pick = (name: string | undefined, from: PinSelection["from"]): PinSelection | null =>
    name?.trim() ? { name: validatePinName(name.trim()), from } : null;
  return (
    pick(opts.flag, "flag") ??
    pick(opts.agentfilePin, "agentfile") ??
    pick(env.OSTK_PIN, "env") ??
    pick(opts.configPin, "config") ?? { name: "default", from: "default" }
  );
}

export function validatePinName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name.includes("..")) {
    throw new OstkRpcError(
      "InvalidParams",
      `invalid pin name ${JSON.stringify(name)}: use letters, digits, . _ -`,
    );
  }
  return name;
}

/**
 * Load `.ostk/pins/<name>/pin.caps`. A missing `default` pin falls back to the built-in default; any other
 * missing pin, or one that fails to parse, throws (fail-closed: the kernel denies every call).
 */
export function loadPin(workspace: string, name: string): Pin {
  validatePinName(name);
  const rel = join(".ostk", "pins", name, "pin.caps");
  let text: string;
  try {
    text = readFileSync(join(workspace, rel), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      if (name === "default") return defaultPin();
      throw new OstkRpcError(
        "PolicyDenied",
        `pin "${name}" was selected but ${rel} does not exist; every call is denied until it exists or another pin is selected`,
        { pin: name },
      );
    }
    throw err;
  }
  return parsePinCaps(text, { name, source: rel });
}
