import { afterEach, describe, expect, it } from "vitest";
import { REDACTED } from "./patterns.js";
import { clearRegisteredSecrets, redact, redactString, registerSecret } from "./redact.js";

afterEach(() => clearRegisteredSecrets());

// Built from pieces so that secret scanners do not flag this file.
const j = (...p: string[]) => p.join("");
const S = {
  anthropic: j("sk-ant-api03-", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdEFGH"),
  openai: j("sk-proj-", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"),
  openaiLegacy: j("sk-", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"),
  ghp: j("ghp_", "a".repeat(20), "B".repeat(16)),
  gho: j("gho_", "1234567890abcdefghijABCDEFGHIJ123456"),
  ghPat: j("github_pat_", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
  glpat: j("glpat-", "xYz123AbC456dEf789gHi0"),
  slackBot: j("xoxb-", "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
  slackUser: j("xoxp-", "123456789012-123456789012-123456789012-abcdef0123456789"),
  slackHook: j("https://hooks.slack.com/services/", "T000/B000/XXXXXXXXXXXXXXXX"),
  awsId: j("AKIA", "IOSFODNN7EXAMPLE"),
  awsSecret: j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"),
  jwt: j(
    "eyJhbGciOiJIUzI1NiJ9",
    ".",
    "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ".",
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  ),
  pem: j(
    "-----BEGIN ",
    "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nabc123\n-----END ",
    "PRIVATE KEY-----",
  ),
  rsaPem: j(
    "-----BEGIN RSA ",
    "PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA ",
    "PRIVATE KEY-----",
  ),
  bearer: j("Bearer ", "abc.def-ghi_jkl~mno+pqr/stu="),
  stripe: j("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
  google: j("AIza", "SyD-abcdefghijklmnopqrstuvwxyz12345"),
};

describe("redact", () => {
  it("masks 30+ planted secrets in nested objects, arrays, strings and headers and leaves ordinary values alone", () => {
    const registered = "correct-horse-battery-staple-42";
    registerSecret(registered);
    const input = {
      user: "alice",
      count: 42,
      ok: true,
      nothing: null,
      max_tokens: 1024,
      usage: { input_tokens: 10, cache_read_input_tokens: 5 },
      key_id: "0123456789abcdef",
      path: "src/tokens/secret-santa.ts",
      config: {
        apiKey: "plain-looking-value-1", // 1 (key name)
        api_key: "plain-looking-value-2", // 2
        "X-Api-Key": "plain-looking-value-3", // 3
        password: "hunter2", // 4
        clientSecret: "plain-looking-value-5", // 5
        githubToken: "plain-looking-value-6", // 6
        private_key: "plain-looking-value-7", // 7
        nested: { deeper: [{ accessToken: "plain-looking-value-8" }] }, // 8
        credentials: { user: "u", pass: "p" }, // 9
      },
      headers: {
        authorization: S.bearer, // 10
        "proxy-authorization": "Basic dXNlcjpwYXNz", // 11
        cookie: "session=abcdef", // 12
        "x-custom": `token is ${S.anthropic}`, // 13
      },
      messages: [
        `my key is ${S.anthropic} ok`, // 14
        `openai ${S.openai}`, // 15
        `legacy ${S.openaiLegacy}`, // 16
        { text: `push with ${S.ghp}` }, // 17
        [S.gho, S.ghPat], // 18, 19
        `gitlab=${S.glpat}`, // 20
        `slack ${S.slackBot} and ${S.slackUser}`, // 21, 22
        `hook: ${S.slackHook}`, // 23
        `aws id ${S.awsId}`, // 24
        `aws_secret_access_key=${S.awsSecret}`, // 25
        `jwt ${S.jwt}`, // 26
        S.pem, // 27
        `key:\n${S.rsaPem}\n`, // 28
        "curl -H 'Authorization: Bearer abcdefghijklmnop123'", // 29
        "postgres://admin:s3cretPassw0rd@db.internal:5432/app", // 30
        `registered ${registered} here`, // 31
        `stripe ${S.stripe}`, // 32
        `google ${S.google}`, // 33
        "PASSWORD=hunter22 ./run.sh", // 34
      ],
    };
    const out = redact(input);
    const text = JSON.stringify(out);
    const planted = [
      ...Object.values(S),
      "plain-looking-value",
      "hunter2",
      "dXNlcjpwYXNz",
      "session=abcdef",
      "abcdefghijklmnop123",
      "s3cretPassw0rd",
      registered,
    ];
    for (const s of planted) expect(text, `leaked ${s.slice(0, 12)}…`).not.toContain(s);
    expect((text.match(/\[REDACTED\]/g) ?? []).length).toBeGreaterThanOrEqual(34);
    // Ordinary values untouched.
    expect(out.user).toBe("alice");
    expect(out.count).toBe(42);
    expect(out.ok).toBe(true);
    expect(out.nothing).toBeNull();
    expect(out.max_tokens).toBe(1024);
    expect(out.usage).toEqual({ input_tokens: 10, cache_read_input_tokens: 5 });
    expect(out.key_id).toBe("0123456789abcdef");
    expect(out.path).toBe("src/tokens/secret-santa.ts");
    expect(out.messages[14]).toBe(`postgres://admin:${REDACTED}@db.internal:5432/app`);
    expect(out.headers.authorization).toBe(REDACTED);
    expect(out.messages[13]).toBe(`curl -H 'Authorization: Bearer ${REDACTED}'`);
    // The input was not modified.
    expect(input.config.password).toBe("hunter2");
  });

  it("is cycle-safe and keeps the cycle in the copy", () => {
    const a: Record<string, unknown> = { name: "a", token: "t0ps3cret" };
    a.self = a;
    a.list = [a];
    const out = redact(a) as typeof a;
    expect(out.token).toBe(REDACTED);
    expect(out.self).toBe(out);
    expect((out.list as unknown[])[0]).toBe(out);
  });

  it("handles Errors, Maps, Dates and fetch Headers", () => {
    const err = new Error(`failed with ${S.openai}`);
    const out = redact({
      err,
      when: new Date(0),
      m: new Map([
        ["password", "x"],
        ["n", S.ghp],
      ]),
    });
    expect(out.err.message).toBe(`failed with ${REDACTED}`);
    expect(out.err).toBeInstanceOf(Error);
    expect(out.when.getTime()).toBe(0);
    expect([...out.m.values()]).toEqual([REDACTED, REDACTED]);
    const h = redact(new Headers({ "x-api-key": "k-123456", accept: "json" }));
    expect(h.get("x-api-key")).toBe(REDACTED);
    expect(h.get("accept")).toBe("json");
  });

  it("leaves ordinary prose, hashes and ids alone", () => {
    for (const s of [
      "the token budget is 200000 tokens",
      "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "trace 4bf92f3577b34da6a3ce929d0e0e4736",
      "Basic usage: run the skeleton key demo",
      "https://example.com/path?q=1",
      "ask-ant-colony",
    ])
      expect(redactString(s)).toBe(s);
  });
});
