export const SERVE_HELP = `ostk-cache [serve] [options]

Starts the proxy. Point a client at it, e.g.
  ANTHROPIC_BASE_URL=http://127.0.0.1:8080 claude
  OPENAI_BASE_URL=http://127.0.0.1:8080/v1 <your tool>

Options:
  --port <n>              listen port (default 8080)
  --host <addr>           listen address (default 127.0.0.1)
  --upstream <url>        Anthropic upstream, also used for OpenAI unless --openai-upstream
  --openai-upstream <url> OpenAI upstream (default https://api.openai.com)
  --mode <m>              passthrough | mutate (default) | rebuild | rebuild-kernel
  --workspace <dir>       project root holding .ostk/ (default: current directory)
  --config <file>         also read this TOML file's [cache] table (after <workspace>/.ostk/config.toml)
  --redis <url>           share the response cache through Redis/Valkey
  --enrich                inject recall memories (needs .ostk/recall.sock)
  --filter-secrets        mask secrets in model output
  --no-response-cache     never serve or store responses
  --print-config          print every setting, its value and where it came from, then exit

An invalid setting (in a file, OSTK_CACHE_* or a flag) stops the proxy before it starts, naming
the key, the value, what was expected and where it came from.
`;
