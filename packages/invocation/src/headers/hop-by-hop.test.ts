import { describe, expect, it } from "vitest";
import { connectionNominated, HOP_BY_HOP_HEADERS, isHopByHopHeader } from "./hop-by-hop.js";

describe("HOP_BY_HOP_HEADERS (spec §2.7.2)", () => {
  it("is exactly the spec's list", () => {
    expect([...HOP_BY_HOP_HEADERS].sort()).toEqual(
      [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "http2-settings",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-authenticate",
      ].sort(),
    );
  });

  it.each([
    ["Connection", true],
    ["KEEP-ALIVE", true],
    ["Proxy-Connection", true],
    ["Transfer-Encoding", true],
    ["upgrade", true],
    ["HTTP2-Settings", true],
    ["TE", true],
    ["Trailer", true],
    ["Proxy-Authorization", true],
    ["proxy-authenticate", true],
    ["Authorization", false],
    ["Trailers", false],
    ["Content-Length", false],
    ["Host", false],
    ["X-Connection", false],
  ])("isHopByHopHeader(%j) = %s", (name, expected) => {
    expect(isHopByHopHeader(name)).toBe(expected);
  });
});

describe("connectionNominated", () => {
  it.each([
    [[], []],
    [["close"], ["close"]],
    [["X-Foo"], ["x-foo"]],
    [["X-Foo, X-Bar"], ["x-foo", "x-bar"]],
    [["x-foo,x-bar"], ["x-foo", "x-bar"]],
    [["  X-Foo\t,\tX-Bar  "], ["x-foo", "x-bar"]],
    [["a,,b,"], ["a", "b"]],
    [[","], []],
    [[""], []],
    [["keep-alive", "Upgrade, X-Custom"], ["keep-alive", "upgrade", "x-custom"]],
    [["X-A, x-a"], ["x-a"]],
  ])("%j → %j", (values, expected) => {
    expect([...connectionNominated(values)]).toEqual(expected);
  });
});
