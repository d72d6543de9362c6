import { describe, expect, it } from "vitest";
import { readHeader } from "./read-header.js";

describe("readHeader: the line above a read's content", () => {
  it("names the file and generation, and where a partial read stands", () => {
    expect(readHeader({ path: "a.txt", gen: 3 })).toBe("[a.txt gen=3]");
    expect(readHeader({ path: "a.txt", gen: 3, offset: 1, total_lines: 2, truncated: false })).toBe(
      "[a.txt gen=3]",
    );
    expect(readHeader({ path: "a.txt", gen: 3, offset: 1, total_lines: 40, truncated: true })).toBe(
      "[a.txt gen=3, lines 1.. of 40]",
    );
  });

  it("says when the requested line is past the end, so an empty answer is not taken for an empty file", () => {
    expect(readHeader({ path: "a.txt", gen: 3, offset: 9, total_lines: 2, truncated: false })).toBe(
      "[a.txt gen=3, line 9 is past the end (2 lines)]",
    );
    // an empty file read from line 1 is just empty
    expect(readHeader({ path: "e.txt", gen: 1, offset: 1, total_lines: 0, truncated: false })).toBe(
      "[e.txt gen=1]",
    );
  });
});
