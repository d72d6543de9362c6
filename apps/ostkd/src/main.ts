import { existsSync, mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CacheMode } from "@ostk/cache";
import { onStopSignals, registerSecret } from "@ostk/lib";
import { banner, connectInfo } from "./banner.js";
import { type CacheFlags, type LayerName, loadOstkdConfig, type OstkdFlags } from "./config.js";
import { ensureDemoWorkspace } from "./demo-workspace.js";
import { createLogger } from "./logger.js";
import { anyRunning, startOstkd } from "./start-ostkd.js";

export const HELP = `Usage: ostkd [dir] [options]

Starts the ostk kernel, recall and cache for one workspace in one process, and prints how to
connect Claude Code, any MCP client and any Anthropic/OpenAI SDK.

  dir                     the workspace (default: the current directory; with --demo: ./demo-workspace)
  --demo                  create (if needed) and use a small demo workspace
  --port <n>              cache proxy port (default 8080; 0 = any free port)
  --host <addr>           cache proxy address (default 127.0.0.1)
  --mode <m>              cache mode: passthrough | mutate | rebuild | rebuild-kernel (default mutate)
  --upstream <url>        provider the proxy forwards to (default https://api.anthropic.com)
  --layers <list>         which layers to start, e.g. kernel,recall (default kernel,recall,cache)
  --log <file|->          JSON log destination (default .ostk/ostkd.log; "-" = stderr)
  --log-level <level>     fatal | error | warn | info | debug | trace | silent (default info)
  --shutdown-timeout <ms> grace period before a shutdown is forced (default 15000)
  --json                  print the start-up report as one JSON line (for scripts)
  -h, --help              this help
  -v, --version           the version

Configuration: flags > OSTK_* environment > .ostk/config.toml ([ostkd], [recall], [cache] and the
kernel's top-level keys) > defaults. SIGTERM/SIGINT stop gracefully: in-flight calls and streams
finish, the journal is flushed and checkpointed, every database is closed. A second signal (half a second or more later) forces.
`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      demo: { type: "boolean" },
      port: { type: "string" },
      host: { type: "string" },
      mode: { type: "string" },
      upstream: { type: "string" },
      layers: { type: "string" },
      log: { type: "string" },
      "log-level": { type: "string" },
      "shutdown-timeout": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

/** Flag values as config input; the loaders validate them and name the flag in each problem. */
function flagsOf(v: ReturnType<typeof parse>["values"]): OstkdFlags {
  // Digits become numbers; anything else stays text so the error shows what was typed.
  const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : (s as unknown as number));
  const cache: CacheFlags = {};
  if (v.port !== undefined) cache.port = num(v.port);
  if (v.host !== undefined) cache.host = v.host;
  if (v.upstream !== undefined) cache.upstream = v.upstream;
  if (v.mode !== undefined) cache.mode = v.mode as CacheMode;
  const flags: OstkdFlags = { cache };
  if (v.layers !== undefined) flags.layers = v.layers.split(",").map((s) => s.trim()) as LayerName[];
  if (v.log !== undefined) flags.log = v.log;
  if (v["log-level"] !== undefined) flags.log_level = v["log-level"];
  if (v["shutdown-timeout"] !== undefined) flags.shutdown_timeout_ms = num(v["shutdown-timeout"]);
  return flags;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`ostkd: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write("ostkd 0.1.0\n");
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`ostkd: one workspace directory at most (got ${positionals.join(", ")})\n`);
    return 2;
  }
  const workspace = resolve(positionals[0] ?? (values.demo ? "demo-workspace" : "."));
  if (values.demo) {
    mkdirSync(workspace, { recursive: true });
    ensureDemoWorkspace(workspace);
  }
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    process.stderr.write(
      `ostkd: ${workspace} is not a directory. Give an existing workspace, or --demo for a demo one.\n`,
    );
    return 2;
  }
  const flags = flagsOf(values);
  const loaded = loadOstkdConfig(workspace, flags);
  if (!loaded.ok) {
    process.stderr.write(
      `ostkd: the configuration is invalid; nothing was started:\n  ${loaded.errors.join("\n  ")}\nFix .ostk/config.toml, the OSTK_* variable or the flag, then run ostkd again (ostkd --help lists them).\n`,
    );
    return 2;
  }
  const { config, cache, warnings } = loaded;
  for (const key of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_AUTH_TOKEN"])
    if (process.env[key]) registerSecret(process.env[key] as string);
  const log = createLogger({ level: config.log_level, log: config.log, workspace });
  for (const w of warnings) log.logger.warn({}, `config: ${w}`);

  // Signals are caught from here on: one that arrives while the layers start stops them once they
  // have; a second one (not the same Ctrl-C relayed by npm) forces the exit at any point.
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((res) => {
    stopRequested = res;
  });
  const releaseSignals = onStopSignals({
    stop: (signal) => stopRequested(signal),
    force: (signal) => {
      log.logger.warn({ signal }, "second signal: forcing exit");
      log.flush();
      process.stderr.write(
        "ostkd: forced exit; committed journal entries are durable, in-flight calls were cut.\n",
      );
      process.exit(130);
    },
  });
  const ostkd = await startOstkd({ workspace, config, cache, logger: log.logger });
  if (values.json) process.stdout.write(`${JSON.stringify(connectInfo(ostkd, log.destination))}\n`);
  else process.stdout.write(`${banner(ostkd, log.destination)}\n`);
  for (const w of warnings) process.stderr.write(`ostkd: warning: ${w}\n`);
  if (!anyRunning(ostkd)) {
    process.stderr.write("ostkd: no layer could start (reasons above); nothing is running.\n");
    log.flush();
    releaseSignals();
    return 1;
  }
  return shutdown(ostkd, await stopSignal, config.shutdown_timeout_ms, log);
}

/** Stops every layer gracefully (in-flight calls and streams finish), bounded by `timeoutMs`. */
function shutdown(
  ostkd: Awaited<ReturnType<typeof startOstkd>>,
  signal: NodeJS.Signals,
  timeoutMs: number,
  log: ReturnType<typeof createLogger>,
): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const t0 = performance.now();
    log.logger.info({ signal }, "stopping");
    process.stderr.write(
      `ostkd: ${signal}: stopping (finishing in-flight calls and streams; Ctrl-C again to force)…\n`,
    );
    const timer = setTimeout(() => {
      log.logger.error({ timeout_ms: timeoutMs }, "graceful shutdown timed out: forcing exit");
      log.flush();
      process.stderr.write(`ostkd: shutdown took longer than ${timeoutMs} ms; forced exit.\n`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    ostkd.close().then(
      () => {
        clearTimeout(timer);
        const ms = Math.round(performance.now() - t0);
        log.logger.info({ shutdown_ms: ms }, "ostkd stopped");
        log.flush();
        process.stderr.write(`ostkd: stopped cleanly in ${ms} ms.\n`);
        resolveExit(0);
      },
      (err: Error) => {
        clearTimeout(timer);
        log.logger.error({ err }, "shutdown failed");
        log.flush();
        process.stderr.write(`ostkd: shutdown finished with errors: ${err.message}\n`);
        resolveExit(1);
      },
    );
  });
}
