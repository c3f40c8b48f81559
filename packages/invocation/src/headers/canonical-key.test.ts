import { describe, expect, it } from "vitest";
import { canonicalHeaderKey, isHeaderToken } from "./canonical-key.js";

describe("canonicalHeaderKey (Go textproto.CanonicalMIMEHeaderKey)", () => {
  it.each([
    // Go's own table
    ["a-b-c", "A-B-C"],
    ["a-1-c", "A-1-C"],
    ["User-Agent", "User-Agent"],
    ["uSER-aGENT", "User-Agent"],
    ["user-agent", "User-Agent"],
    ["USER-AGENT", "User-Agent"],
    ["foo-bar_baz", "Foo-Bar_baz"],
    ["foo-bar$baz", "Foo-Bar$baz"],
    ["foo-bar~baz", "Foo-Bar~baz"],
    ["foo-bar*baz", "Foo-Bar*baz"],
    ["üser-agenT", "üser-agenT"],
    ["a B", "a B"],
    ["C Ontent-Transfer-Encoding", "C Ontent-Transfer-Encoding"],
    ["foo bar", "foo bar"],
    // headers Courier handles
    ["content-type", "Content-Type"],
    ["x-forwarded-for", "X-Forwarded-For"],
    ["dapr-caller-app-id", "Dapr-Caller-App-Id"],
    ["traceparent", "Traceparent"],
    ["www-authenticate", "Www-Authenticate"],
    ["content-md5", "Content-Md5"],
    ["te", "Te"],
    ["x-b3-traceid", "X-B3-Traceid"],
    // edges
    ["", ""],
    ["-x", "-X"],
    ["a--b", "A--B"],
    ["x-", "X-"],
    ["1abc", "1abc"],
    ["a.b-c.d", "A.b-C.d"],
    ["x_y-z", "X_y-Z"],
    // not a token: unchanged
    [":authority", ":authority"],
    ["a:b", "a:b"],
    ["a\tb", "a\tb"],
    ["a(b)", "a(b)"],
    ['a"b', 'a"b'],
    ["a/b", "a/b"],
    ["kéy", "kéy"],
  ])("%j → %j", (input, expected) => {
    expect(canonicalHeaderKey(input)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const name of ["x-custom-HEADER", "a B", "ACCEPT", "dapr-api-token"]) {
      expect(canonicalHeaderKey(canonicalHeaderKey(name))).toBe(canonicalHeaderKey(name));
    }
  });
});

describe("isHeaderToken", () => {
  it.each([
    ["Content-Type", true],
    ["x!#$%&'*+-.^_`|~09", true],
    ["", false],
    ["a b", false],
    [":path", false],
    ["a,b", false],
    ["ä", false],
    ["a\r\nb", false],
  ])("%j → %s", (name, expected) => {
    expect(isHeaderToken(name)).toBe(expected);
  });
});
