import { describe, expect, it } from "vitest";
import { appRequestTarget } from "./app-url.js";

describe("appRequestTarget", () => {
  it("prefixes a rootless method with `/` and keeps a rooted one", () => {
    expect(appRequestTarget("orders/1", "")).toBe("/orders/1");
    expect(appRequestTarget("/orders/1", "")).toBe("/orders/1");
  });

  it("maps an empty method and `.` to `/`", () => {
    expect(appRequestTarget("", "")).toBe("/");
    expect(appRequestTarget(".", "")).toBe("/");
    expect(appRequestTarget("/", "")).toBe("/");
    expect(appRequestTarget("./", "")).toBe("/");
  });

  it("cleans the path again: dot segments, repeated and trailing slashes", () => {
    expect(appRequestTarget("a//b/./c/../d/", "")).toBe("/a/b/d");
    expect(appRequestTarget("a/..", "")).toBe("/");
    expect(appRequestTarget("/../x", "")).toBe("/x");
  });

  it("re-encodes a literal `%` so it reaches the app as text, never as an escape", () => {
    expect(appRequestTarget("100%", "")).toBe("/100%25");
    expect(appRequestTarget("test%25stream", "")).toBe("/test%2525stream");
    expect(appRequestTarget("a%2Fb", "")).toBe("/a%252Fb");
  });

  it('encodes space, `"`, `\\`, `<`, `>`, `` ` ``, `{`, `|`, `}`, `^`, `[` and `]`', () => {
    expect(appRequestTarget("a b", "")).toBe("/a%20b");
    expect(appRequestTarget('say"hi"', "")).toBe("/say%22hi%22");
    expect(appRequestTarget("dir\\file", "")).toBe("/dir%5Cfile");
    expect(appRequestTarget("<>`{|}^[]", "")).toBe("/%3C%3E%60%7B%7C%7D%5E%5B%5D");
  });

  it("encodes `?` and `#` inside a segment so they cannot start a query or fragment", () => {
    expect(appRequestTarget("a?b#c", "")).toBe("/a%3Fb%23c");
  });

  it("encodes non-ASCII characters as their UTF-8 bytes", () => {
    expect(appRequestTarget("café", "")).toBe("/caf%C3%A9");
    expect(appRequestTarget("日本", "")).toBe("/%E6%97%A5%E6%9C%AC");
    expect(appRequestTarget("😀", "")).toBe("/%F0%9F%98%80");
  });

  it("keeps unreserved characters, sub-delims, `:` and `@` as they are", () => {
    const kept = "AZaz09-._~!$&'()*+,;=:@";
    expect(appRequestTarget(kept, "")).toBe(`/${kept}`);
  });

  it("encodes each segment separately and keeps the `/` between them", () => {
    expect(appRequestTarget("a b/c d/é", "")).toBe("/a%20b/c%20d/%C3%A9");
  });

  it("encodes control characters should any reach it", () => {
    expect(appRequestTarget("a\u007fb", "")).toBe("/a%7Fb");
  });

  it("appends the query raw after `?`", () => {
    expect(appRequestTarget("orders", "a=1&b=x%20y")).toBe("/orders?a=1&b=x%20y");
    expect(appRequestTarget("orders", "q=a b&c=\"")).toBe('/orders?q=a b&c="');
    expect(appRequestTarget("", "x=1")).toBe("/?x=1");
  });

  it("adds no `?` for an empty query", () => {
    expect(appRequestTarget("orders", "")).toBe("/orders");
  });
});
