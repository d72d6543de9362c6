import { describe, expect, it } from "vitest";
import { buildSandboxEnv } from "./sandbox-env.js";

describe("buildSandboxEnv", () => {
  it("passes only allowlisted names and never secret-looking ones", () => {
    const env = buildSandboxEnv(
      {
        PATH: "/usr/bin",
        AWS_SECRET_ACCESS_KEY: "x",
        GITHUB_TOKEN: "ghp_aaaaaaaaaaaaaaaaaaaaaaaaa",
        LANG: "C",
      },
      ["PATH", "LANG", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"],
      { HOME: "/tmp/h" },
    );
    expect(env).toEqual({ PATH: "/usr/bin", LANG: "C", HOME: "/tmp/h" });
  });
  it("drops allowlisted variables whose value looks like a key", () => {
    const env = buildSandboxEnv({ TERM: "sk-ant-abcdefghijklmnopqrstuvwxyz" }, ["TERM"]);
    expect(env).toEqual({});
  });
});
