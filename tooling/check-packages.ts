/**
 * `pnpm check:packages`: packs every publishable workspace package the way
 * `pnpm publish` would and checks the tarball: dist/, README and a LICENSE
 * with the right licence text (MIT for @ostk/lib, AGPL-3.0 for the others),
 * then runs publint and @arethetypeswrong/cli (esm-only profile) on it.
 *
 *   tsx tooling/check-packages.ts [--build] [--json] [--only @ostk/lib]
 *
 * Exit 0 when every package passes, 1 when one fails, 2 on usage errors.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

interface PackageReport {
  name: string;
  dir: string;
  license: string;
  tarball?: string;
  ok: boolean;
  checks: Check[];
}

const LICENSE_TEXT: Record<string, { spdx: string; markers: RegExp[] }> = {
  MIT: { spdx: "MIT", markers: [/MIT License/i, /Permission is hereby granted, free of charge/] },
  AGPL: {
    spdx: "AGPL-3.0-only",
    markers: [/GNU AFFERO GENERAL PUBLIC LICENSE/, /Version 3, 19 November 2007/],
  },
};

/** Publishable packages: every non-private package.json under the workspace globs. */
function workspacePackages(): { name: string; dir: string; pkg: Record<string, unknown> }[] {
  const out: { name: string; dir: string; pkg: Record<string, unknown> }[] = [];
  for (const group of ["packages", "apps", "tests"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const pj = join(base, d, "package.json");
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, "utf8"));
      if (pkg.private) continue;
      out.push({ name: pkg.name, dir: join(base, d), pkg });
    }
  }
  return out;
}

function pnpm(args: string[], cwd: string): string {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: not a turbo task; only picks the pnpm that launched us
  const exec = process.env.npm_execpath;
  const [cmd, pre] =
    exec && /pnpm/.test(exec)
      ? /\.(c?js|mjs)$/.test(exec)
        ? [process.execPath, [exec]]
        : [exec, []]
      : ["pnpm", []];
  return execFileSync(cmd, [...pre, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

async function checkPackage(
  p: { name: string; dir: string; pkg: Record<string, unknown> },
  out: string,
): Promise<PackageReport> {
  const expected = p.name === "@ostk/lib" ? LICENSE_TEXT.MIT : LICENSE_TEXT.AGPL;
  const report: PackageReport = {
    name: p.name,
    dir: relative(root, p.dir),
    license: expected.spdx,
    ok: true,
    checks: [],
  };
  const check = (name: string, ok: boolean, detail?: string) => {
    report.checks.push({ name, ok, detail });
    if (!ok) report.ok = false;
  };
  check(
    "package.json license",
    p.pkg.license === expected.spdx,
    `is ${String(p.pkg.license)}, expected ${expected.spdx}`,
  );
  if (!existsSync(join(p.dir, "dist"))) {
    check("dist/ built", false, `run \`pnpm --filter ${p.name} build\` (or pass --build)`);
    return report;
  }
  const dest = mkdtempSync(join(out, "pack-"));
  try {
    pnpm(["pack", "--pack-destination", dest], p.dir);
  } catch (err) {
    check(
      "pnpm pack",
      false,
      String((err as { stderr?: string }).stderr ?? err)
        .trim()
        .split("\n")
        .slice(-3)
        .join(" "),
    );
    return report;
  }
  const tgz = readdirSync(dest).find((f) => f.endsWith(".tgz"));
  if (!tgz) {
    check("pnpm pack", false, "no tarball was produced");
    return report;
  }
  const tarball = join(dest, tgz);
  report.tarball = tgz;
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
  check(
    "tarball has dist/",
    files.some((f) => f.startsWith("package/dist/") && f.endsWith(".js")),
    "no package/dist/*.js",
  );
  check(
    "tarball has README",
    files.some((f) => /^package\/README(\.md)?$/i.test(f)),
    "no package/README.md",
  );
  check("tarball has LICENSE", files.includes("package/LICENSE"), "no package/LICENSE");
  if (files.includes("package/LICENSE")) {
    const text = execFileSync("tar", ["-xzOf", tarball, "package/LICENSE"], { encoding: "utf8" });
    const missing = expected.markers.filter((m) => !m.test(text));
    check(
      `LICENSE is ${expected.spdx}`,
      missing.length === 0,
      `LICENSE lacks ${missing.map(String).join(", ")}`,
    );
  }
  const leaked = files.filter((f) => /\.(test|spec)\.[cm]?[jt]s$|(^|\/)\.env|\.pem$|\.key$/.test(f));
  check("no tests or secrets in tarball", leaked.length === 0, leaked.slice(0, 5).join(", "));

  const buf = readFileSync(tarball);
  const tarBuf = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const lint = await publint({ pack: { tarball: tarBuf }, level: "warning" });
  const problems = lint.messages.filter((m) => m.type !== "suggestion");
  const pkgJson = JSON.parse(
    execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }),
  );
  check(
    "publint",
    problems.length === 0,
    problems.map((m) => `${m.type}: ${formatMessage(m, pkgJson, { color: false }) ?? m.code}`).join("; "),
  );
  const attwBin = join(root, "node_modules/.bin/attw");
  const attw = spawnSync(
    attwBin,
    [tarball, "--profile", "esm-only", "--format", "ascii", "--no-emoji", "--no-color"],
    {
      encoding: "utf8",
    },
  );
  check(
    "arethetypeswrong (esm-only)",
    attw.status === 0,
    `${attw.stdout ?? ""}${attw.stderr ?? ""}`.trim().split("\n").slice(-12).join("\n"),
  );
  return report;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
  let pkgs = workspacePackages();
  if (only) pkgs = pkgs.filter((p) => p.name === only);
  if (pkgs.length === 0) {
    process.stderr.write(`check:packages: no publishable package${only ? ` named ${only}` : ""} found\n`);
    return 2;
  }
  if (argv.includes("--build")) {
    for (const p of pkgs) {
      process.stderr.write(`check:packages: building ${p.name}\n`);
      pnpm(["run", "build"], p.dir);
    }
  }
  const out = mkdtempSync(join(tmpdir(), "ostk-pack-"));
  const reports: PackageReport[] = [];
  try {
    for (const p of pkgs) {
      process.stderr.write(`check:packages: packing ${p.name}\n`);
      reports.push(await checkPackage(p, out));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  if (json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    for (const r of reports) {
      process.stdout.write(
        `${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.license})${r.tarball ? ` ${r.tarball}` : ""}\n`,
      );
      for (const c of r.checks) {
        process.stdout.write(`     ${c.ok ? "✓" : "✗"} ${c.name}\n`);
        if (!c.ok && c.detail) process.stdout.write(`${c.detail.replace(/^/gm, "         ")}\n`);
      }
    }
    const failed = reports.filter((r) => !r.ok).map((r) => r.name);
    process.stdout.write(
      failed.length
        ? `\n${failed.length} of ${reports.length} packages fail: ${failed.join(", ")}. Nothing was published; fix the items marked ✗ and rerun.\n`
        : `\nall ${reports.length} packages pass\n`,
    );
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`check:packages: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  },
);
