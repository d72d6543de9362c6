// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is Agentfile syntax, not a JS template
/** The file `ostk agentfile new <name>` writes. */
export function agentfileTemplate(
  name: string,
  model = "${OSTK_MODEL:-anthropic/claude-sonnet-4-6}",
): string {
  return `# ${name}: an ostk Agentfile. Check it with "ostk agentfile lint", run it with "ostk run ${name}".
# Directives: FROM PROMPT TASK TOOL LIMIT ISOLATION PIN RESTART BOOT; \${VAR:-default} is substituted.
FROM ${model}

PROMPT """
You are a careful software engineer working in this repository.
Make the smallest change that does the job, and run the tests before you finish.
"""

TASK """
\${TASK:-Describe the task here, or pass --task when you run the agent.}
"""

TOOL file:read
TOOL file:edit
TOOL bash

LIMIT turns 40
LIMIT budget_usd 2.00
LIMIT wall_clock 30m

ISOLATION sandbox
PIN default
RESTART no
`;
}
