import type { Agentfile, Diagnostic } from "./types.js";

/** `worker.af:3:6: error: … [code]` plus the offending line and a caret. */
export function formatDiagnostic(d: Diagnostic, file: string, source?: string): string {
  let out = `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`;
  const text = source?.split(/\r?\n/)[d.line - 1];
  if (text !== undefined) out += `\n  ${text}\n  ${" ".repeat(Math.max(0, d.column - 1))}^`;
  return out;
}

/** A readable summary of a parsed Agentfile (for `ostk agentfile show`). */
export function describeAgentfile(af: Agentfile): string {
  const lines = [
    `file       ${af.path ?? "(stdin)"}`,
    `sha256     ${af.sha256}`,
    `model      ${af.from.provider}/${af.from.model}`,
    `isolation  ${af.isolation}`,
    `pin        ${af.pin ?? "(workspace default)"}`,
    `restart    ${af.restart}`,
    `tools      ${af.tools.map((t) => t.pattern).join(", ") || "(none)"}`,
    `limits     ${
      Object.entries(af.limits)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || "(none)"
    }`,
  ];
  if (af.boot.length) lines.push(`boot       ${af.boot.join(" && ")}`);
  if (Object.keys(af.vars).length)
    lines.push(
      `vars       ${Object.entries(af.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  if (af.prompt) lines.push("", "PROMPT", indent(af.prompt));
  if (af.task) lines.push("", "TASK", indent(af.task));
  return lines.join("\n");
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
