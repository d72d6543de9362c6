import { describe, expect, it } from "vitest";
import { normTerms, parseQuery, splitIdentifier, splitTerms } from "./tokenize.js";

describe("splitIdentifier", () => {
  it("splits camelCase, acronyms, snake_case and paths", () => {
    expect(splitIdentifier("parseHTTPHeader")).toEqual(["parse", "http", "header"]);
    expect(splitIdentifier("max_len")).toEqual(["max", "len"]);
    expect(splitIdentifier("XMLParser2")).toEqual(["xml", "parser", "2"]);
    expect(splitIdentifier("src/foo-bar.ts")).toEqual(
      ["src/foo", "bar", "ts"].flatMap((p) => splitIdentifier(p)),
    );
  });
  it("adds only compound identifiers to the terms column", () => {
    expect(splitTerms("const parseHTTPHeader = x;")).toBe("parse http header");
  });
});

describe("parseQuery", () => {
  it("recognises identifier-shaped queries", () => {
    expect(parseQuery("parseHeader").identifier).toBe("parseHeader");
    expect(parseQuery("Foo.bar_baz").identifier).toBe("bar_baz");
    expect(parseQuery("parse the header").identifier).toBeUndefined();
  });
  it("normalises query words: split, stemmed, stopwords dropped", () => {
    expect(normTerms("How to parseHeaders")).toEqual(["parse", "header"]);
  });
});
