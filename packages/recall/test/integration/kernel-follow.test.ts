import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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

  it("does nothing when no kernel runs", async () => {
    const ws = mkdtempSync(join(tmpdir(), "recall-kf-"));
    const follower = new KernelFollower(ws, () => {}, silentLogger);
    expect(await follower.start()).toBe("kernel not running");
    await follower.stop();
    rmSync(ws, { recursive: true, force: true });
  });
});
