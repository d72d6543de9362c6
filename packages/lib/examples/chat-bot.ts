/**
 * A chat-bot command dispatcher: each chat user becomes a caller identity
 * (`chat:<user>`, on behalf of the human), admins get a write scope and
 * everyone else a read-only one (negotiated with the kernel, which says what
 * it granted and denied), and every reply is redacted before it is posted.
 *
 *   /read <path>            show a file
 *   /write <path> <text>    write a file (admins)
 *   /status                 kernel status
 *   /whoami                 the scope this user was granted
 *
 * Run: npx tsx packages/lib/examples/chat-bot.ts alice "/read README.md"
 */
import {
  ERROR_CODES,
  type IntegrationResult,
  KernelClient,
  type Negotiation,
  redactString,
  runStep,
} from "@ostk/lib";

export interface ChatMessage {
  user: string;
  text: string;
}

export interface BotReply {
  text: string;
  result: IntegrationResult;
}

export interface DispatcherOptions {
  socket?: string;
  admins?: string[];
}

/** One kernel connection per chat user, with that user's negotiated scope. */
export function createDispatcher(opts: DispatcherOptions = {}) {
  const users = new Map<string, Promise<{ kernel: KernelClient; scope: Negotiation }>>();

  const sessionFor = (user: string) => {
    let s = users.get(user);
    if (!s) {
      s = (async () => {
        const kernel = await KernelClient.connect({
          socketPath: opts.socket,
          identity: { id: `chat:${user}`, kind: "integration", on_behalf_of: user },
        });
        const admin = opts.admins?.includes(user) ?? false;
        const scope = await kernel.negotiate({ capabilities: admin ? ["read:**", "write:**"] : ["read:**"] });
        return { kernel, scope };
      })();
      users.set(user, s);
    }
    return s;
  };

  async function handle(msg: ChatMessage): Promise<BotReply> {
    const [cmd, ...rest] = msg.text.trim().split(/\s+/);
    let text = "";
    const result = await runStep(async (step) => {
      const { kernel, scope } = await sessionFor(msg.user);
      step.count();
      switch (cmd) {
        case "/read": {
          const r = await kernel.call("fs/read", { path: rest[0] ?? "" });
          text = `${r.path} (gen ${r.gen}):\n${r.content}`;
          return r;
        }
        case "/write": {
          const [path, ...words] = rest;
          const r = await kernel.call("fs/write", { path: path ?? "", content: words.join(" ") });
          step.effect({ kind: "fs.write", path: r.path, seq: r.seq });
          text = `wrote ${r.path} (gen ${r.gen})`;
          return r;
        }
        case "/status": {
          const r = await kernel.call("kernel/status", {});
          text = `kernel pid ${r.pid}, journal at seq ${r.head_seq}`;
          return r;
        }
        case "/whoami":
          text = `granted: ${scope.granted.join(", ") || "nothing"}; denied: ${scope.denied.map((d) => d.capability).join(", ") || "nothing"}`;
          return scope;
        default:
          text = "commands: /read <path>, /write <path> <text>, /status, /whoami";
          return null;
      }
    });
    if (!result.ok) {
      const err = result.error;
      text =
        result.status === "denied"
          ? `not allowed: ${err?.message}`
          : err?.code === ERROR_CODES.NotFound
            ? `not found: ${err?.message}`
            : `failed (${result.status}): ${err?.message}`;
    }
    return { text: redactString(text), result };
  }

  async function close(): Promise<void> {
    for (const s of users.values()) await (await s).kernel.close();
    users.clear();
  }

  return { handle, close };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const [user, text] = process.argv.slice(2);
  const bot = createDispatcher({ admins: process.env.OSTK_BOT_ADMINS?.split(",") });
  bot.handle({ user: user ?? "someone", text: text ?? "/status" }).then(async (r) => {
    process.stdout.write(`${r.text}\n`);
    await bot.close();
  });
}
