import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { parseAppId } from "./app-id.js";

describe("parseAppId", () => {
  it.each([
    // no dot → own namespace
    ["orders", "default", { kind: "app", appId: "orders", namespace: "default" }],
    ["orders", "prod", { kind: "app", appId: "orders", namespace: "prod" }],
    ["my-app_1", "ns", { kind: "app", appId: "my-app_1", namespace: "ns" }],
    // exactly one dot → id.namespace
    ["orders.prod", "default", { kind: "app", appId: "orders", namespace: "prod" }],
    ["orders.default", "default", { kind: "app", appId: "orders", namespace: "default" }],
    // halves are kept as split (daprd neither trims nor rejects them)
    ["orders.", "default", { kind: "app", appId: "orders", namespace: "" }],
    [".prod", "default", { kind: "app", appId: "", namespace: "prod" }],
    // URLs win over the dot rule
    ["http://example.com", "default", { kind: "url", url: "http://example.com" }],
    ["https://a.b.c/path", "default", { kind: "url", url: "https://a.b.c/path" }],
    ["http://", "default", { kind: "url", url: "http://" }],
    // a non-matching scheme is just an id with a dot
    ["HTTP://x.y", "default", { kind: "app", appId: "HTTP://x", namespace: "y" }],
  ] as const)("%j (own ns %j)", (input, ownNs, expected) => {
    expect(parseAppId(input, ownNs)).toEqual(expected);
  });

  it.each([
    ["", "app id is empty"],
    ["a.b.c", "invalid app id a.b.c"],
    ["a..b", "invalid app id a..b"],
    ["..", "invalid app id .."],
    // the scheme prefix is case-sensitive, so this is an id with dots
    ["HTTP://a.b.c", "invalid app id HTTP://a.b.c"],
    ["ftp://a.b.c", "invalid app id ftp://a.b.c"],
  ])("rejects %j", (input, message) => {
    let caught: unknown;
    try {
      parseAppId(input, "default");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvocationError);
    expect((caught as InvocationError).code).toBe(GrpcCode.InvalidArgument);
    expect((caught as InvocationError).message).toBe(message);
  });
});
