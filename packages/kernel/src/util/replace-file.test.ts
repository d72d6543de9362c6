import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { replaceMethod } from "./replace-file.js";

/** The module as loaded with the addon (as installed) or with `OSTK_FASTFS=0` (the rename(2) path). */
async function loadModule(method: "exchange" | "rename") {
  const before = process.env.OSTK_FASTFS;
  if (method === "rename") process.env.OSTK_FASTFS = "0";
  vi.resetModules();
  try {
    const m = await import("./replace-file.js");
    expect(m.replaceMethod().method).toBe(method);
    return m;
  } finally {
    if (before === undefined) delete process.env.OSTK_FASTFS;
    else process.env.OSTK_FASTFS = before;
  }
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ostk-replace-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it("uses the atomic exchange on Linux where CI runs (the addon is built at install)", () => {
  if (process.platform !== "linux" || !process.env.CI) return;
  expect(replaceMethod()).toEqual({ method: "exchange" });
});

const methods: ("exchange" | "rename")[] =
  replaceMethod().method === "exchange" ? ["rename", "exchange"] : ["rename"];

describe.each(methods)("replaceFile by %s", (method) => {
  let replaceFile: Awaited<ReturnType<typeof loadModule>>["replaceFile"];
  let writeAndReplace: Awaited<ReturnType<typeof loadModule>>["writeAndReplace"];
  let syncFiles: Awaited<ReturnType<typeof loadModule>>["syncFiles"];
  beforeEach(async () => {
    ({ replaceFile, writeAndReplace, syncFiles } = await loadModule(method));
  });

  it("replaces an existing file and leaves no temp file; an fd open on the old file still reads it", async () => {
    const target = path.join(dir, "a.txt");
    fs.writeFileSync(target, "old\n");
    const oldFd = fs.openSync(target, "r");
    const tmp = path.join(dir, ".a.txt.tmp");
    fs.writeFileSync(tmp, "new\n");
    await replaceFile(tmp, target);
    expect(fs.readFileSync(target, "utf8")).toBe("new\n");
    expect(fs.readdirSync(dir)).toEqual(["a.txt"]);
    expect(fs.readFileSync(oldFd, "utf8")).toBe("old\n");
    fs.closeSync(oldFd);
  });

  it("creates a file that did not exist", async () => {
    const tmp = path.join(dir, ".b.tmp");
    fs.writeFileSync(tmp, "fresh");
    await replaceFile(tmp, path.join(dir, "b.txt"));
    expect(fs.readdirSync(dir)).toEqual(["b.txt"]);
    expect(fs.readFileSync(path.join(dir, "b.txt"), "utf8")).toBe("fresh");
  });

  it("a missing temp file is an error and the target is untouched", async () => {
    const target = path.join(dir, "c.txt");
    fs.writeFileSync(target, "keep");
    await expect(replaceFile(path.join(dir, ".gone.tmp"), target)).rejects.toMatchObject({ code: "ENOENT" });
    expect(fs.readFileSync(target, "utf8")).toBe("keep");
  });

  it("a directory at the target is left in place and the call fails, as with rename(2)", async () => {
    const target = path.join(dir, "e");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "inside.txt"), "kept");
    const tmp = path.join(dir, ".e.tmp");
    fs.writeFileSync(tmp, "file");
    await expect(replaceFile(tmp, target)).rejects.toMatchObject({
      code: expect.stringMatching(/^E(ISDIR|PERM)$/),
    });
    expect(fs.readFileSync(path.join(target, "inside.txt"), "utf8")).toBe("kept");
    expect(fs.readFileSync(tmp, "utf8")).toBe("file");
  });

  it("a concurrent reader only ever sees one whole version", async () => {
    const target = path.join(dir, "d.txt");
    const versions = [Buffer.alloc(64 * 1024, "a"), Buffer.alloc(48 * 1024, "b")];
    fs.writeFileSync(target, versions[0]!);
    let stop = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const got = await fs.promises.readFile(target);
        seen.add(versions.findIndex((v) => v.equals(got)).toString());
      }
    })();
    for (let i = 1; i <= 200; i++) {
      const tmp = path.join(dir, `.d.${i}.tmp`);
      fs.writeFileSync(tmp, versions[i % 2]!);
      await replaceFile(tmp, target);
    }
    stop = true;
    await reader;
    expect(seen.has("-1")).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(["d.txt"]);
  });

  // alone: one op on the calling thread (writeReplaceSync); otherwise batched into a pool job.
  for (const alone of [false, true]) {
    const how = alone ? " (alone)" : "";
    it(`writeAndReplace${how} writes a new file into place and returns the stat fs.lstatSync sees`, async () => {
      const target = path.join(dir, "w.txt");
      fs.writeFileSync(target, "old\n");
      const oldFd = fs.openSync(target, "r");
      const stamp = await writeAndReplace(
        path.join(dir, ".w.tmp"),
        target,
        Buffer.from("new content\n"),
        0o640,
        alone,
      );
      expect(fs.readFileSync(target, "utf8")).toBe("new content\n");
      expect(fs.readdirSync(dir)).toEqual(["w.txt"]);
      expect(fs.readFileSync(oldFd, "utf8")).toBe("old\n");
      fs.closeSync(oldFd);
      const st = fs.lstatSync(target);
      expect(stamp).toEqual({ size: st.size, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
      expect(st.mode & 0o777).toBe(0o640 & ~process.umask());
      const fresh = await writeAndReplace(
        path.join(dir, ".n.tmp"),
        path.join(dir, "n.txt"),
        Buffer.alloc(0),
        0o644,
        alone,
      );
      expect(fresh.size).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(["n.txt", "w.txt"]);
    });

    it(`writeAndReplace${how} never writes through an existing temp name or symlink, and leaves the target alone`, async () => {
      const target = path.join(dir, "s.txt");
      fs.writeFileSync(target, "keep");
      fs.writeFileSync(path.join(dir, "elsewhere"), "outside");
      fs.symlinkSync(path.join(dir, "elsewhere"), path.join(dir, ".s.link"));
      await expect(
        writeAndReplace(path.join(dir, ".s.link"), target, Buffer.from("evil"), 0o644, alone),
      ).rejects.toMatchObject({ code: "EEXIST" });
      expect(fs.readFileSync(path.join(dir, "elsewhere"), "utf8")).toBe("outside");
      expect(fs.readFileSync(target, "utf8")).toBe("keep");
    });

    it(`writeAndReplace${how} onto a directory fails, the directory stays, the temp file is the caller's`, async () => {
      const target = path.join(dir, "dd");
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, "inside.txt"), "kept");
      const tmp = path.join(dir, ".dd.tmp");
      await expect(writeAndReplace(tmp, target, Buffer.from("file"), 0o644, alone)).rejects.toMatchObject({
        code: expect.stringMatching(/^E(ISDIR|PERM|EXIST|NOTEMPTY)$/),
      });
      expect(fs.readFileSync(path.join(target, "inside.txt"), "utf8")).toBe("kept");
      fs.rmSync(tmp, { force: true });
      expect(fs.readdirSync(dir)).toEqual(["dd"]);
    });
  }

  it("syncFiles syncs regular files and skips missing ones and symlinks", async () => {
    const files = ["s1.txt", "s2.txt", "s3.txt"].map((n) => path.join(dir, n));
    for (const f of files) fs.writeFileSync(f, "data");
    fs.symlinkSync(files[0]!, path.join(dir, "link"));
    await expect(
      syncFiles([
        ...files,
        path.join(dir, "missing.txt"),
        path.join(dir, "link"),
        path.join(dir, "s1.txt", "x"),
      ]),
    ).resolves.toBeUndefined();
    await expect(syncFiles([])).resolves.toBeUndefined();
    await expect(syncFiles(files, 1)).resolves.toBeUndefined();
  });

  it("writeAndReplace calls made in one turn each get their own outcome", async () => {
    fs.mkdirSync(path.join(dir, "blocked"));
    const names = Array.from({ length: 12 }, (_, i) => `m${i}.txt`);
    const results = await Promise.allSettled([
      ...names.map((n, i) =>
        writeAndReplace(path.join(dir, `.${n}.tmp`), path.join(dir, n), Buffer.from(`v${i}`), 0o644),
      ),
      writeAndReplace(path.join(dir, ".blocked.tmp"), path.join(dir, "blocked"), Buffer.from("x"), 0o644),
    ]);
    expect(results.slice(0, 12).every((r) => r.status === "fulfilled")).toBe(true);
    expect(results[12]).toMatchObject({ status: "rejected" });
    for (const [i, n] of names.entries()) expect(fs.readFileSync(path.join(dir, n), "utf8")).toBe(`v${i}`);
    const sizes = results.slice(0, 12).map((r) => (r as PromiseFulfilledResult<{ size: number }>).value.size);
    expect(sizes).toEqual(names.map((_, i) => `v${i}`.length));
  });
});
