import { globMatch } from "./glob-match.js";
import type { Pin, Verb } from "./pin-caps.js";

/** What a client asks for at session start. Omitted fields mean "whatever the policy allows". */
export interface ScopeRequest {
  read?: string[];
  write?: string[];
  /** `shell` or program names. */
  execute?: string[];
  verbs?: Verb[];
}

/**
 * A session's grant: the pin AND every scope layer must allow a call (attenuation only — a layer can
 * narrow what the pin allows, never widen it). Record it in the journal when it is made.
 */
export interface CapabilityGrant {
  pin: string;
  layers: ScopeRequest[];
  /** Requested items the pin does not allow at all (reported to the client, never granted). */
  dropped: string[];
  grantedAt: string;
}

/** Negotiate a session's grant: at most what the pin allows. */
export function negotiateGrant(pin: Pin, request: ScopeRequest = {}): CapabilityGrant {
  const dropped: string[] = [];
  const exec = request.execute;
  if (exec) {
    for (const e of exec) {
      if (!pin.execute.includes("shell") && !pin.execute.includes(e)) dropped.push(`execute:${e}`);
    }
  }
  for (const g of request.write ?? []) if (pin.write.length === 0) dropped.push(`write:${g}`);
  for (const g of request.read ?? []) if (pin.read.length === 0) dropped.push(`read:${g}`);
  for (const v of request.verbs ?? []) if (pin.denyVerbs.includes(v)) dropped.push(`verb:${v}`);
  return { pin: pin.name, layers: [normalize(request)], dropped, grantedAt: new Date().toISOString() };
}

/** Narrow an existing grant further (a sub-agent, a delegated token). Never widens it. */
export function attenuateGrant(grant: CapabilityGrant, request: ScopeRequest): CapabilityGrant {
  return { ...grant, layers: [...grant.layers, normalize(request)], grantedAt: new Date().toISOString() };
}

function normalize(r: ScopeRequest): ScopeRequest {
  const out: ScopeRequest = {};
  if (r.read) out.read = [...r.read];
  if (r.write) out.write = [...r.write];
  if (r.execute) out.execute = [...r.execute];
  if (r.verbs) out.verbs = [...r.verbs];
  return out;
}

/** The first layer that refuses the call, as a reason; undefined when every layer allows it. */
export function grantRefusal(
  grant: CapabilityGrant,
  verb: Verb,
  paths: string[],
  program?: string,
): string | undefined {
  for (const [i, layer] of grant.layers.entries()) {
    if (layer.verbs && !layer.verbs.includes(verb))
      return `verb ${verb} is not in the session's grant (layer ${i})`;
    if (verb === "exec") {
      if (
        layer.execute &&
        !layer.execute.includes("shell") &&
        !(program && layer.execute.includes(program))
      ) {
        return `running ${program ?? "commands"} is not in the session's grant (layer ${i})`;
      }
      continue;
    }
    const globs = isWrite(verb) ? layer.write : layer.read;
    if (!globs) continue;
    for (const p of paths) {
      if (!globs.some((g) => globMatch(g, p)))
        return `${verb} of ${p} is outside the session's grant (layer ${i})`;
    }
  }
  return undefined;
}

function isWrite(v: Verb): boolean {
  return v === "write" || v === "edit" || v === "delete" || v === "move" || v === "mkdir";
}
