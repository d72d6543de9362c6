/**
 * `pnpm gen`: assemble packages/lib/protocol/ostk.openrpc.json from base.json and
 * methods/*.json, and write TypeScript types, standalone validators and the
 * method map into packages/lib/src/protocol/generated/.
 * `pnpm gen:check`: regenerate in memory and fail if the committed output differs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "./assemble.ts";
import { definitions, generateMethods, generateTypes, generateValidators } from "./codegen.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const lib = join(root, "packages/lib");
const protocolDir = join(lib, "protocol");
const outDir = join(lib, "src/protocol/generated");

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${relative(root, path)}: ${(err as Error).message}`);
  }
}

/** The document is formatted the way `biome check` wants it, so lint and the drift check agree. */
function biomeFormat(path: string, text: string): string {
  const bin = join(root, "node_modules/.bin/biome");
  return execFileSync(bin, ["format", `--stdin-file-path=${relative(root, path)}`], {
    cwd: root,
    input: text,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Renders every output file: path → contents. */
export async function render(): Promise<Map<string, string>> {
  const base = readJson(join(protocolDir, "base.json"));
  const methodsDir = join(protocolDir, "methods");
  const files = existsSync(methodsDir)
    ? readdirSync(methodsDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  const fragments = files.map(
    (f) => [`protocol/methods/${f}`, readJson(join(methodsDir, f))] as [string, unknown],
  );
  const errorsMd = readFileSync(join(lib, "ERRORS.md"), "utf8");
  const version = (readJson(join(lib, "package.json")) as { version: string }).version;
  const res = assemble(base, fragments, errorsMd, version);
  if (!res.ok) {
    throw new Error(`the protocol fragments are invalid:\n${res.errors.map((e) => `  ${e}`).join("\n")}`);
  }
  const defs = definitions(res.value);
  const out = new Map<string, string>();
  const docPath = join(protocolDir, "ostk.openrpc.json");
  out.set(docPath, biomeFormat(docPath, `${JSON.stringify(res.value.document, null, 2)}\n`));
  out.set(join(outDir, "types.ts"), await generateTypes(defs));
  out.set(join(outDir, "validators.ts"), generateValidators(defs));
  out.set(join(outDir, "methods.ts"), generateMethods(res.value));
  return out;
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  let files: Map<string, string>;
  try {
    files = await render();
  } catch (err) {
    process.stderr.write(
      `gen: ${(err as Error).message}\nNothing was written. Fix the fragment and run \`pnpm gen\` again.\n`,
    );
    return 2;
  }
  if (check) {
    const stale = [...files].filter(([p, text]) => !existsSync(p) || readFileSync(p, "utf8") !== text);
    if (stale.length) {
      process.stderr.write(
        `gen:check: the committed protocol output is stale:\n${stale.map(([p]) => `  ${relative(root, p)}`).join("\n")}\n` +
          "Run `pnpm gen` and commit the result.\n",
      );
      return 1;
    }
    process.stdout.write(`gen:check: ${files.size} generated files are up to date\n`);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  let changed = 0;
  for (const [p, text] of files) {
    if (existsSync(p) && readFileSync(p, "utf8") === text) continue;
    writeFileSync(p, text);
    changed++;
    process.stdout.write(`gen: wrote ${relative(root, p)}\n`);
  }
  process.stdout.write(`gen: ${files.size} files, ${changed} changed\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code));
}
