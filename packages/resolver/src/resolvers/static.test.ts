import { describe, expect, it } from "vitest";
import { ResolverConfigError } from "../errors.js";
import { StaticResolver, addressProblem } from "./static.js";

const req = (id: string, namespace = "default") => ({ id, namespace });

describe("StaticResolver", () => {
  const r = new StaticResolver({
    apps: {
      orders: ["127.0.0.1:50002", "127.0.0.1:50012"],
      "prod/billing": "10.0.0.5:50002",
      billing: "billing.internal:50002",
      "prod/v6": ["[::1]:50002", "[fe80::1]:1"],
    },
  });

  it("answers an unqualified key in every namespace", async () => {
    expect(await r.resolve(req("orders"))).toEqual(["127.0.0.1:50002", "127.0.0.1:50012"]);
    expect(await r.resolve(req("orders", "prod"))).toEqual(["127.0.0.1:50002", "127.0.0.1:50012"]);
  });

  it("prefers <namespace>/<id> over <id> in that namespace only", async () => {
    expect(await r.resolve(req("billing", "prod"))).toEqual(["10.0.0.5:50002"]);
    expect(await r.resolve(req("billing", "staging"))).toEqual(["billing.internal:50002"]);
  });

  it("returns [] for an unknown app or a namespaced key asked from another namespace", async () => {
    expect(await r.resolve(req("payments"))).toEqual([]);
    expect(await r.resolve(req("v6", "default"))).toEqual([]);
    expect(await r.resolve(req("v6", "prod"))).toEqual(["[::1]:50002", "[fe80::1]:1"]);
  });

  it("hands out copies of its table", async () => {
    (await r.resolve(req("orders"))).push("evil:1");
    expect(await r.resolve(req("orders"))).toHaveLength(2);
  });

  it("treats register and close as no-ops", async () => {
    await r.register({ appId: "x", namespace: "default", host: "h", port: 1 });
    await r.close();
    await r.close();
    expect(await r.resolve(req("x"))).toEqual([]);
    expect(r.name).toBe("static");
  });

  it("honours an aborted signal", async () => {
    await expect(r.resolve(req("orders"), AbortSignal.abort(new Error("stop")))).rejects.toThrow("stop");
  });

  it.each([
    [{ apps: { orders: "127.0.0.1" } }, /app "orders": invalid address "127.0.0.1": expected host:port/],
    [{ apps: { orders: "127.0.0.1:0" } }, /app "orders": invalid address "127.0.0.1:0": port must be/],
    [{ apps: { orders: ["127.0.0.1:1", "127.0.0.1:65536"] } }, /app "orders": invalid address "127.0.0.1:65536"/],
    [{ apps: { orders: "127.0.0.1:http" } }, /port must be a number from 1 to 65535/],
    [{ apps: { orders: "::1:50002" } }, /"::1:50002": write IPv6 hosts in brackets/],
    [{ apps: { orders: "[not-v6]:50002" } }, /not a valid IPv6 address/],
    [{ apps: { orders: "http://a:1" } }, /expected host:port without a scheme or path/],
    [{ apps: { orders: "a b:1" } }, /host must be a hostname or an IPv4 address/],
    [{ apps: { orders: " a:1" } }, /host must be/],
    [{ apps: { orders: ":1" } }, /host must be/],
    [{ apps: { orders: 50002 } }, /app "orders" must map to an address or a non-empty list/],
    [{ apps: { orders: [] } }, /app "orders" must map to an address or a non-empty list/],
    [{ apps: { orders: [50002] } }, /invalid address 50002: expected a string/],
    [{ apps: { "a/b/c": "h:1" } }, /app key "a\/b\/c" must be/],
    [{ apps: { "/orders": "h:1" } }, /app key "\/orders" must be/],
    [{ apps: { "my app": "h:1" } }, /app key "my app" must be/],
    [{ apps: ["h:1"] }, /configuration.apps must be a map/],
    [{}, /configuration.apps must be a map/],
    [{ apps: {}, apss: {} }, /unknown configuration key "apss"/],
    [null, /configuration must be a map with an `apps` entry/],
  ])("rejects %j at construction", (config, message) => {
    const build = () => new StaticResolver(config as never);
    expect(build).toThrow(ResolverConfigError);
    expect(build).toThrow(message);
  });

  it("accepts an empty table", async () => {
    expect(await new StaticResolver({ apps: {} }).resolve(req("x"))).toEqual([]);
  });
});

describe("addressProblem", () => {
  it.each(["localhost:1", "127.0.0.1:65535", "my_host.example.com:443", "[::1]:80", "[2001:db8::1]:50002"])(
    "accepts %s",
    (a) => expect(addressProblem(a)).toBeUndefined(),
  );
  it.each(["localhost", "localhost:", "localhost:-1", "localhost:123456", "[::1]", "[::1:80", "-host:1", "host.:1"])(
    "rejects %s",
    (a) => expect(addressProblem(a)).toBeTypeOf("string"),
  );
});
