import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// lib's kernel-shaped test server (client/subscribe + journal/event); recall never imports the kernel itself
import { startFakeKernel } from "../../../lib/test/fake-kernel.js";
import { silentLogger } from "../../src/logger.js";
import { KernelFollower } from "../../src/watch/kernel-follow.js";

describe("following the kernel's committed changes", () => {
  it("hands fs.commit paths to the indexer", async () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-kf-"));
    mkdirSync(join(ws, ".ostk"));
    const kernel = await startFakeKernel(ws);
    const got: string[] = [];
    const follower = new KernelFollower(ws, (paths) => got.push(...paths), silentLogger);
    try {
      expect(await follower.start()).toBe("following");
      // the subscription is set up asynchronously: commit until the first entry arrives
      for (let i = 0; i < 100 && !got.includes("src/a.ts"); i++) {
        kernel.commit("src/a.ts", "write");
        await new Promise((r) => setTimeout(r, 20));
      }
      kernel.commit("src/b.ts", "delete");
      for (let i = 0; i < 100 && !got.includes("src/b.ts"); i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toContain("src/a.ts");
      expect(got[got.length - 1]).toBe("src/b.ts");
    } finally {
      await follower.stop();
      await kernel.close();
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it("without a kernel, tails .ostk/journal.jsonl and resumes from its cursor", async () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-kf-"));
    mkdirSync(join(ws, ".ostk"));
    const line = (seq: number, path: string, data: Record<string, unknown> = { op: "write" }) =>
      `${JSON.stringify({ v: 1, seq, ts: Date.now(), event: "fs.commit", actor: { id: "a", kind: "agent" }, path, data, prev_hash: "0".repeat(64), key_id: "0".repeat(16), sig: "0".repeat(128) })}\n`;
    writeFileSync(
      join(ws, ".ostk/journal.jsonl"),
      line(1, "src/one.ts") + line(2, "src/old.ts", { op: "move", to: "src/new.ts" }),
    );
    const got: string[] = [];
    const first = new KernelFollower(ws, (p) => got.push(...p), silentLogger);
    try {
      expect(await first.start()).toBe("following journal");
      for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(["src/one.ts", "src/old.ts", "src/new.ts"]);
    } finally {
      await first.stop();
    }
    appendFileSync(join(ws, ".ostk/journal.jsonl"), line(3, "src/three.ts"));
    const again: string[] = [];
    const second = new KernelFollower(ws, (p) => again.push(...p), silentLogger, {
      cursor: first.lastCursor,
    });
    try {
      await second.start();
      for (let i = 0; i < 100 && again.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(again).toEqual(["src/three.ts"]);
    } finally {
      await second.stop();
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it("does nothing when no kernel runs and there is no journal", async () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-kf-"));
    const follower = new KernelFollower(ws, () => {}, silentLogger);
    expect(await follower.start()).toBe("kernel not running");
    await follower.stop();
    rmSync(ws, { recursive: true, force: true });
  });
});
