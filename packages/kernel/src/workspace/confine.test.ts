import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Resolved, Workspace } from "./confine.js";

let root: string;
let ws: Workspace;
beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ostk-confine-")));
  ws = new Workspace(root);
  fs.mkdirSync(path.join(root, "src"));
  fs.writeFileSync(path.join(root, "src", "a.txt"), "a");
  fs.symlinkSync(path.join(root, "src", "a.txt"), path.join(root, "link.txt"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("Workspace.resolve with a per-call memo", () => {
  it("gives the same answers as without one, and a symlink at the end still resolves two ways", () => {
    const memo = new Map<string, Resolved>();
    for (const p of ["src/a.txt", "link.txt", "src/new/b.txt"]) {
      for (const follow of [false, true]) {
        expect(ws.resolve(p, { follow, memo })).toEqual(ws.resolve(p, { follow }));
        expect(ws.resolve(p, { follow, memo })).toEqual(ws.resolve(p, { follow }));
      }
    }
    expect(ws.resolve("link.txt", { follow: false, memo }).rel).toBe("link.txt");
    expect(ws.resolve("link.txt", { memo }).rel).toBe("src/a.txt");
  });

  it("a path resolved once is not resolved again within the call", () => {
    const memo = new Map<string, Resolved>();
    const first = ws.resolve("src/a.txt", { follow: false, memo });
    fs.rmSync(path.join(root, "src", "a.txt"));
    expect(ws.resolve("src/a.txt", { memo })).toBe(first);
    expect(ws.resolve("src/a.txt").exists).toBe(false);
  });

  it("the write checks apply to a remembered resolution too", () => {
    const memo = new Map<string, Resolved>();
    fs.mkdirSync(path.join(root, ".ostk"));
    expect(ws.resolve(".ostk/journal.jsonl", { memo }).rel).toBe(".ostk/journal.jsonl");
    expect(() => ws.resolve(".ostk/journal.jsonl", { memo, forWrite: true })).toThrow(/kernel state/);
    expect(() => ws.resolve("", { memo, forWrite: true })).toThrow(/workspace root/);
    expect(() => ws.resolve("../outside", { memo })).toThrow(/outside the workspace/);
  });
});
