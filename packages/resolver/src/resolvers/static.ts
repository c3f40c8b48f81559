import { isIPv6 } from "node:net";
import { ResolverConfigError } from "../errors.js";
import type { AppInstance, NameResolver, ResolveRequest, ResolverFactory } from "../resolver.js";

export interface StaticResolverConfig {
  /** `<id>` (any namespace) or `<namespace>/<id>` (that namespace only, wins over `<id>`). */
  apps: Record<string, string | readonly string[]>;
}

const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const KEY_PART = /^[^\s/]+$/;

/**
 * A fixed table of addresses, for hosts that cannot share a registry folder and have no
 * discovery (the role `nameformat`/consul fill upstream, spec §6.2). Unlike mdns/consul/sqlite
 * it honours the namespace (spec §11 row 9). Everything is validated up front so a typo fails
 * at startup, not on the first call.
 */
export class StaticResolver implements NameResolver {
  readonly name = "static";
  readonly #apps: ReadonlyMap<string, readonly string[]>;

  constructor(config: StaticResolverConfig) {
    this.#apps = parseStaticConfig(config);
  }

  async register(_instance: AppInstance): Promise<void> {}

  async resolve(req: ResolveRequest, signal?: AbortSignal): Promise<string[]> {
    signal?.throwIfAborted();
    const found = this.#apps.get(`${req.namespace}/${req.id}`) ?? this.#apps.get(req.id);
    return found === undefined ? [] : [...found];
  }

  async close(): Promise<void> {}
}

export const staticResolverFactory: ResolverFactory = (ctx) =>
  new StaticResolver(ctx.configuration as StaticResolverConfig);

function parseStaticConfig(config: unknown): Map<string, readonly string[]> {
  const fail = (msg: string): never => {
    throw new ResolverConfigError(`static resolver: ${msg}`);
  };
  if (!isPlainObject(config)) {
    return fail("configuration must be a map with an `apps` entry, e.g. { apps: { orders: \"127.0.0.1:50002\" } }");
  }
  for (const k of Object.keys(config)) {
    if (k !== "apps") fail(`unknown configuration key "${k}" (allowed: apps)`);
  }
  const apps = config["apps"];
  if (!isPlainObject(apps)) return fail("configuration.apps must be a map of app id to address(es)");

  const table = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(apps)) {
    const parts = key.split("/");
    if (parts.length > 2 || !parts.every((p) => KEY_PART.test(p))) {
      fail(`app key "${key}" must be "<id>" or "<namespace>/<id>" without spaces`);
    }
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0) {
      fail(`app "${key}" must map to an address or a non-empty list of addresses, got ${JSON.stringify(value)}`);
    }
    for (const address of list as unknown[]) {
      const problem = addressProblem(address);
      if (problem !== undefined) fail(`app "${key}": invalid address ${JSON.stringify(address)}: ${problem}`);
    }
    table.set(key, [...(list as string[])]);
  }
  return table;
}

/** Why `address` is not `host:port` / `[v6]:port` with a port in 1–65535, or undefined. */
export function addressProblem(address: unknown): string | undefined {
  if (typeof address !== "string") return "expected a string";
  if (address.includes("/")) return "expected host:port without a scheme or path";
  const colon = address.lastIndexOf(":");
  if (colon < 0) return "expected host:port";
  const host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return "port must be a number from 1 to 65535";
  }
  if (host.startsWith("[") && host.endsWith("]")) {
    return isIPv6(host.slice(1, -1)) ? undefined : "not a valid IPv6 address inside [ ]";
  }
  if (host.includes(":")) return "write IPv6 hosts in brackets, e.g. [::1]:50002";
  if (!HOSTNAME.test(host)) return "host must be a hostname or an IPv4 address";
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
