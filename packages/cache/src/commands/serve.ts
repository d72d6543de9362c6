import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { explainConfig, formatExplainedConfig, onStopSignals } from "@ostk/lib";
import pino from "pino";
import { CACHE_CONFIG_SPEC, CACHE_FLAG_NAMES, type CacheMode, type ConfigInput, loadConfig } from "../config";
import { startCacheProxy } from "../server/start-cache-proxy";
import { SERVE_HELP } from "./serve-help";

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      upstream: { type: "string" },
      "openai-upstream": { type: "string" },
      mode: { type: "string" },
      workspace: { type: "string" },
      config: { type: "string" },
      redis: { type: "string" },
      enrich: { type: "boolean" },
      "filter-secrets": { type: "boolean" },
      "no-response-cache": { type: "boolean" },
      "print-config": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const flags: ConfigInput = {};
  if (values.port !== undefined)
    flags.port = /^\d+$/.test(values.port) ? Number(values.port) : (values.port as never);
  if (values.host) flags.host = values.host;
  if (values.upstream) flags.upstream = values.upstream;
  if (values["openai-upstream"]) flags.openaiUpstream = values["openai-upstream"];
  if (values.mode) flags.mode = values.mode as CacheMode;
  if (values.redis) flags.responseCache = { driver: "redis", redisUrl: values.redis };
  if (values["no-response-cache"]) flags.responseCache = { ...flags.responseCache, enabled: false };
  if (values.enrich) flags.enrich = { enabled: true };
  if (values["filter-secrets"]) flags.filterSecrets = true;
  const files = values.config ? [values.config] : [];
  if (values["print-config"]) {
    const workspace = resolve(values.workspace ?? process.cwd());
    const r = loadConfig(workspace, flags, process.env, { files, flagNames: CACHE_FLAG_NAMES });
    process.stdout.write(
      `${formatExplainedConfig(explainConfig(CACHE_CONFIG_SPEC, r.config, r.provenance))}\n`,
    );
    return;
  }
  const logger = pino({ level: process.env.OSTK_LOG_LEVEL ?? "info" }, pino.destination(2));
  const proxy = await startCacheProxy({
    ...flags,
    workspace: values.workspace,
    logger,
    configFiles: files,
    flagNames: CACHE_FLAG_NAMES,
  });
  for (const w of proxy.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(
    `ostk-cache listening on ${proxy.url} (mode ${proxy.config.mode}, upstream ${proxy.config.upstream})\n`,
  );
  process.stdout.write(`  ANTHROPIC_BASE_URL=${proxy.url}\n  OPENAI_BASE_URL=${proxy.url}/v1\n`);
  onStopSignals({
    stop: (signal) => {
      process.stderr.write(`${signal}: finishing in-flight requests (Ctrl-C again to force)…\n`);
      proxy.close().then(
        () => process.exit(0),
        (err: Error) => {
          process.stderr.write(`ostk-cache: shutdown failed: ${err.message}\n`);
          process.exit(1);
        },
      );
    },
  });
}
