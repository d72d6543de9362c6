import { describe, expect, it } from "vitest";
import { canMergeEdit, diffLines, lineRangeOf } from "./merge.js";

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe("diffLines", () => {
  it("finds separate hunks for separate changes", () => {
    const a = lines(30);
    const b = [...a];
    b[2] = "changed";
    b.splice(20, 1);
    b.splice(25, 0, "inserted");
    const h = diffLines(a, b);
    expect(h).toEqual([
      { aStart: 2, aEnd: 3, bStart: 2, bEnd: 3 },
      { aStart: 20, aEnd: 21, bStart: 20, bEnd: 20 },
      { aStart: 26, aEnd: 26, bStart: 25, bEnd: 26 },
    ]);
  });
  it("returns nothing for equal texts", () => {
    expect(diffLines(lines(5), lines(5))).toEqual([]);
  });
});

describe("canMergeEdit", () => {
  const base = lines(40).join("\n");
  it("merges when the other change is more than 3 lines away", () => {
    const cur = base.replace("line 2\n", "LINE TWO\n");
    const idx = base.indexOf("line 30");
    expect(canMergeEdit(base, cur, lineRangeOf(base, idx, 7)).ok).toBe(true);
  });
  it("refuses when the other change is within 3 lines", () => {
    const cur = base.replace("line 27\n", "LINE\n");
    const idx = base.indexOf("line 30");
    expect(canMergeEdit(base, cur, lineRangeOf(base, idx, 7)).ok).toBe(false);
  });
});
