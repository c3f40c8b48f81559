import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ResolverConfigError } from "./errors.js";
import { DEFAULT_RESOLVER, createResolver, knownResolvers, registerResolver } from "./registry.js";
import type { NameResolver, ResolverContext } from "./resolver.js";
import { LocalResolver } from "./resolvers/local.js";
import { StaticResolver } from "./resolvers/static.js";

const stub = (name: string): NameResolver => ({
  name,
  register: async () => {},
  resolve: async () => [],
  close: async () => {},
});

describe("resolver registry", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("knows the built-ins, local being the default", () => {
    expect(knownResolvers()).toEqual(expect.arrayContaining(["local", "static"]));
    expect(DEFAULT_RESOLVER).toBe("local");
  });

  it("creates the static resolver from its configuration", async () => {
    const r = createResolver("static", { configuration: { apps: { orders: "10.0.0.1:50002" } }, env: {} });
    expect(r).toBeInstanceOf(StaticResolver);
    expect(await r.resolve({ id: "orders", namespace: "default" })).toEqual(["10.0.0.1:50002"]);
  });

  it("creates the local resolver under COURIER_HOME, matching names case-insensitively", async () => {
    const home = await mkdtemp(join(tmpdir(), "courier-registry-"));
    dirs.push(home);
    const r = createResolver(" Local ", { configuration: undefined, env: { COURIER_HOME: home } });
    expect(r).toBeInstanceOf(LocalResolver);
    expect((r as LocalResolver).registryDir).toBe(join(home, "registry", "v1"));
  });

  it("names the known components when asked for an unknown one", () => {
    const attempt = () => createResolver("mdns", { configuration: {}, env: {} });
    expect(attempt).toThrow(ResolverConfigError);
    expect(attempt).toThrow(/unknown name resolution component "mdns" \(known: .*local, .*static/);
  });

  it("accepts plug-ins and passes them the whole context", () => {
    const factory = vi.fn((ctx: ResolverContext) => stub(`custom:${String(ctx.configuration)}`));
    registerResolver("test-custom", factory);
    const ctx: ResolverContext = { configuration: "cfg", env: { A: "1" }, log: () => {} };
    expect(createResolver("test-custom", ctx).name).toBe("custom:cfg");
    expect(factory).toHaveBeenCalledWith(ctx);
    expect(knownResolvers()).toContain("test-custom");
  });

  it("lets a later registration replace an earlier one", () => {
    registerResolver("test-replace", () => stub("first"));
    registerResolver("TEST-REPLACE", () => stub("second"));
    expect(createResolver("test-replace", { configuration: {}, env: {} }).name).toBe("second");
  });

  it("rejects a nameless component or a non-function factory", () => {
    expect(() => registerResolver(" ", () => stub("x"))).toThrow(TypeError);
    expect(() => registerResolver("test-bad", "nope" as never)).toThrow(TypeError);
  });
});
