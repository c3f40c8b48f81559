import { describe, expect, it } from "vitest";
import { MalformedPathError, decodePath, routeInvocation } from "./invoke-route.js";

const basic = (user: string, password: string, scheme = "Basic") => `${scheme} ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("decodePath (Go url.PathUnescape)", () => {
  it("returns a path without escapes unchanged", () => {
    expect(decodePath("/v1.0/invoke/b/method/x")).toBe("/v1.0/invoke/b/method/x");
    expect(decodePath("/a+b")).toBe("/a+b");
  });

  it("decodes escapes in either hex case, `%2F` included", () => {
    expect(decodePath("/a%2Fb")).toBe("/a/b");
    expect(decodePath("/a%2fb")).toBe("/a/b");
    expect(decodePath("%41%62%20c")).toBe("Ab c");
    expect(decodePath("%2E%2E/x")).toBe("../x");
    expect(decodePath("%25")).toBe("%");
    expect(decodePath("%2525")).toBe("%25");
  });

  it("does not turn `+` into a space", () => {
    expect(decodePath("/a+b%20c")).toBe("/a+b c");
  });

  it("decodes escaped UTF-8 sequences as one character", () => {
    expect(decodePath("/caf%C3%A9")).toBe("/café");
    expect(decodePath("/%E2%82%AC")).toBe("/€");
    expect(decodePath("/%F0%9F%98%80")).toBe("/😀");
  });

  it("keeps raw non-ASCII characters next to escapes", () => {
    expect(decodePath("/é%20€/😀%21")).toBe("/é €/😀!");
  });

  it("decodes control characters (normalization rejects them later)", () => {
    expect(decodePath("/a%0Ab%00c%7F")).toBe("/a\nb\u0000c\u007f");
  });

  it("turns invalid UTF-8 bytes into U+FFFD", () => {
    expect(decodePath("/%FF")).toBe("/\ufffd");
  });

  it.each([
    ["/a%zz", '"%zz"'],
    ["/a%G0", '"%G0"'],
    ["/a%4", '"%4"'],
    ["/a%", '"%"'],
    ["%%41", '"%%4"'],
  ])("rejects the invalid escape in %j", (raw, shown) => {
    expect(() => decodePath(raw)).toThrow(MalformedPathError);
    expect(() => decodePath(raw)).toThrow(`invalid URL escape ${shown}`);
  });
});

describe("routeInvocation: URL form (spec §4.1 form 3)", () => {
  it("splits /v1.0/invoke/<id>/method/<method>", () => {
    expect(routeInvocation("/v1.0/invoke/orders/method/api/items", {})).toEqual({ target: "orders", method: "api/items", form: "url" });
  });

  it("keeps `id.namespace` whole", () => {
    expect(routeInvocation("/v1.0/invoke/orders.prod/method/x", {})?.target).toBe("orders.prod");
  });

  it("splits at the first /method/", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/a/method/c", {})).toEqual({ target: "b", method: "a/method/c", form: "url" });
  });

  it("tolerates repeated slashes between the leading segments", () => {
    expect(routeInvocation("//v1.0//invoke///b/method/x", {})).toEqual({ target: "b", method: "x", form: "url" });
  });

  it("collapses repeated slashes inside the method", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/api///v1//users", {})?.method).toBe("api/v1/users");
  });

  it("drops a trailing slash of the method", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/orders/", {})?.method).toBe("orders");
  });

  it("resolves dot segments in the method", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/a/./b/../c", {})?.method).toBe("a/c");
    expect(routeInvocation("/v1.0/invoke/b/method/admin/../public", {})?.method).toBe("public");
  });

  it("leaves leading `..` for method normalization to strip", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/../../etc/passwd", {})?.method).toBe("../../etc/passwd");
  });

  it("gives an empty method for `/method/`, `/method/.` and `/method/a/..`", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/", {})).toEqual({ target: "b", method: "", form: "url" });
    expect(routeInvocation("/v1.0/invoke/b/method/.", {})?.method).toBe("");
    expect(routeInvocation("/v1.0/invoke/b/method/a/..", {})?.method).toBe("");
  });

  it("decodes before splitting: %2F becomes a separator, escaped dots are resolved", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/path/value%2F123", {})?.method).toBe("path/value/123");
    expect(routeInvocation("/v1.0/invoke/b/method/safe/%2E%2E%2Fsecret", {})?.method).toBe("secret");
    expect(routeInvocation("/v1.0/invoke/b/method/test%2525stream", {})?.method).toBe("test%25stream");
    expect(routeInvocation("/v1.0/invoke/b/method/caf%C3%A9", {})?.method).toBe("café");
  });

  it("decodes the target id", () => {
    expect(routeInvocation("/v1.0/%69nvoke/or%64ers/method/x", {})?.target).toBe("orders");
  });

  it("accepts an external URL target, raw or escaped", () => {
    expect(routeInvocation("/v1.0/invoke/http://example.com/method/x", {})).toEqual({ target: "http://example.com", method: "x", form: "url" });
    expect(routeInvocation("/v1.0/invoke/https%3A%2F%2Fexample.com%3A8443/method/x", {})?.target).toBe("https://example.com:8443");
  });

  it("routes a method holding a decoded CR/LF so normalization can reject it", () => {
    expect(routeInvocation("/v1.0/invoke/b/method/a%0D%0Ab", {})).toEqual({ target: "b", method: "a\r\nb", form: "url" });
  });

  it.each([
    "/v1.0/invoke/b",
    "/v1.0/invoke/b/",
    "/v1.0/invoke/b/method",
    "/v1.0/invoke/b/methods/x",
    "/v1.0/invoke//method/x",
    "/v1.0/invoke/method/x",
    "/v1.0/invoke/",
    "/v1.0/invoke",
    "/v1.0/state/b/method/x",
    "/v1.1/invoke/b/method/x",
    "/V1.0/invoke/b/method/x",
    "/v1.0/INVOKE/b/method/x",
    "/prefix/v1.0/invoke/b/method/x",
    "/v1x0/invoke/b/method/x",
    "/orders/1",
    "/",
  ])("finds no target in %j", (path) => {
    expect(routeInvocation(path, {})).toBeUndefined();
  });

  it("throws MalformedPathError for an invalid escape", () => {
    expect(() => routeInvocation("/v1.0/invoke/b/method/%zz", {})).toThrow(MalformedPathError);
  });
});

describe("routeInvocation: dapr-app-id header form (spec §4.1 form 1)", () => {
  it("uses the whole path as the method, decoded and cleaned, without the leading slash", () => {
    expect(routeInvocation("/orders/43", { "dapr-app-id": "b" })).toEqual({ target: "b", method: "orders/43", form: "header" });
    expect(routeInvocation("/api/../x/", { "dapr-app-id": "b" })?.method).toBe("x");
    expect(routeInvocation("//a//b%2Fc", { "dapr-app-id": "b" })?.method).toBe("a/b/c");
  });

  it("gives an empty method for the root path", () => {
    expect(routeInvocation("/", { "dapr-app-id": "b" })?.method).toBe("");
    expect(routeInvocation("/..", { "dapr-app-id": "b" })?.method).toBe("");
  });

  it("wins over the URL form: the invoke path becomes the method", () => {
    expect(routeInvocation("/v1.0/invoke/c/method/m", { "dapr-app-id": "b" })).toEqual({
      target: "b",
      method: "v1.0/invoke/c/method/m",
      form: "header",
    });
  });

  it("wins over basic auth", () => {
    expect(routeInvocation("/x", { "dapr-app-id": "b", authorization: basic("dapr-app-id", "c") })?.form).toBe("header");
  });

  it("trims the id and takes the first of repeated headers", () => {
    expect(routeInvocation("/x", { "dapr-app-id": "  b.prod  " })?.target).toBe("b.prod");
    expect(routeInvocation("/x", { "dapr-app-id": ["b", "c"] })?.target).toBe("b");
  });

  it("an empty header is no header", () => {
    expect(routeInvocation("/v1.0/invoke/c/method/m", { "dapr-app-id": "" })).toEqual({ target: "c", method: "m", form: "url" });
    expect(routeInvocation("/x", { "dapr-app-id": [] })).toBeUndefined();
  });

  it("throws MalformedPathError for an invalid escape in the path", () => {
    expect(() => routeInvocation("/a%", { "dapr-app-id": "b" })).toThrow(MalformedPathError);
  });
});

describe("routeInvocation: basic auth form (spec §4.1 form 2)", () => {
  it("takes the id from `dapr-app-id:<id>` and the method from the path", () => {
    expect(routeInvocation("/api/../orders/", { authorization: basic("dapr-app-id", "b") })).toEqual({
      target: "b",
      method: "orders",
      form: "basic-auth",
    });
  });

  it.each(["DAPR-APP-ID", "Dapr-App-Id", "dApR-aPp-Id"])("compares the user %j case-insensitively", (user) => {
    expect(routeInvocation("/x", { authorization: basic(user, "b") })?.target).toBe("b");
  });

  it("accepts the scheme in any case", () => {
    expect(routeInvocation("/x", { authorization: basic("dapr-app-id", "b", "basic") })?.target).toBe("b");
    expect(routeInvocation("/x", { authorization: basic("dapr-app-id", "b", "BASIC") })?.target).toBe("b");
  });

  it("keeps everything after the first colon as the id", () => {
    expect(routeInvocation("/x", { authorization: basic("dapr-app-id", "b:c") })?.target).toBe("b:c");
  });

  it("wins over the URL form", () => {
    expect(routeInvocation("/v1.0/invoke/c/method/m", { authorization: basic("dapr-app-id", "b") })).toEqual({
      target: "b",
      method: "v1.0/invoke/c/method/m",
      form: "basic-auth",
    });
  });

  it.each([
    ["another user", basic("someone", "b")],
    ["an empty id", basic("dapr-app-id", "")],
    ["a user that only starts with dapr-app-id", basic("dapr-app-idx", "b")],
    ["a bearer token", "Bearer abc.def"],
    ["no credentials", "Basic "],
    ["garbage", "Basic !!!notbase64"],
  ])("ignores %s and falls back to the URL form", (_name, authorization) => {
    expect(routeInvocation("/v1.0/invoke/c/method/m", { authorization })).toEqual({ target: "c", method: "m", form: "url" });
    expect(routeInvocation("/x", { authorization })).toBeUndefined();
  });
});
