/**
 * Orchestrator overhead per turn: the time a turn spends outside the model
 * call and the tool's syscall (validation, sessions.db snapshot, agent.turn
 * journal entry, bookkeeping), against anchors measured in the same run: one
 * bare SDK call to the same fake upstream, and one bare fs/read over the socket.
 *
 *   npx tsx packages/kernel/test/orchestrator/overhead.bench.ts [turns]
 * (needs packages/lib and packages/cache built: `pnpm --filter @ostk/cache build`)
 */
import Anthropic from "@anthropic-ai/sdk";
import { orchestratorEnv } from "./harness.js";

const TURNS = Number(process.argv[2] ?? 200);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main() {
  await using t = await orchestratorEnv();
  t.write("src/a.ts", "export const a = 1;\n".repeat(50));
  const af = t.agentfile(
    `FROM anthropic/claude-haiku-4-5\nTASK read it\nTOOL file:read\nLIMIT turns ${TURNS + 1}\n`,
  );

  // Anchor 1: a bare SDK call to the same upstream.
  const sdk = new Anthropic({ baseURL: t.up.url, apiKey: "sk-ant-bench", maxRetries: 0, logLevel: "off" });
  const sdkMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await sdk.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    sdkMs.push(performance.now() - t0);
  }
  // Anchor 2: a bare fs/read over the socket.
  const readMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await t.client.call("fs/read", { path: "src/a.ts" });
    readMs.push(performance.now() - t0);
  }

  t.up.reset();
  t.up.setDefault({ toolUses: [{ name: "read", input: { path: "src/a.ts" } }] });
  const model: number[] = [];
  const tool: number[] = [];
  const t0 = performance.now();
  const s = await t.run(af, {
    onEvent: (e) => {
      if (e.type === "model") model.push(e.ms);
      if (e.type === "tool") tool.push(e.ms);
    },
  });
  const wall = performance.now() - t0;
  const perTurn = wall / s.turns;
  const rows = [
    ["turns", String(s.turns), ""],
    ["wall per turn (ms)", perTurn.toFixed(2), ""],
    [
      "model call p50 (ms)",
      pct(model, 0.5).toFixed(2),
      `anchor: bare SDK call p50 ${pct(sdkMs, 0.5).toFixed(2)}`,
    ],
    [
      "tool call p50 (ms)",
      pct(tool, 0.5).toFixed(2),
      `anchor: bare fs/read p50 ${pct(readMs, 0.5).toFixed(2)}`,
    ],
    [
      "orchestrator overhead per turn (ms)",
      s.overhead_ms_per_turn.toFixed(2),
      "snapshot + agent.turn journal + checks",
    ],
  ];
  for (const [k, v, n] of rows) console.log(`${k.padEnd(38)} ${v.padStart(9)}  ${n}`);
  console.log(
    JSON.stringify({
      bench: "orchestrator-overhead",
      turns: s.turns,
      wall_per_turn_ms: perTurn,
      model_p50_ms: pct(model, 0.5),
      tool_p50_ms: pct(tool, 0.5),
      overhead_per_turn_ms: s.overhead_ms_per_turn,
      anchor_sdk_p50_ms: pct(sdkMs, 0.5),
      anchor_fs_read_p50_ms: pct(readMs, 0.5),
      history_messages_at_end: t.store.messages(s.session).length,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
