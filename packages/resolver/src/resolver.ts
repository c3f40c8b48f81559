/**
 * The name-resolution contract, shaped after components-contrib `nameresolution` (spec §6.1)
 * but returning every known address so the caller's picker spreads load (like ResolveIDMulti).
 */

/** One running sidecar as its resolver registers it (spec §6.1 `Instance`). */
export interface AppInstance {
  appId: string;
  namespace: string;
  host: string;
  /** The internal (sidecar-to-sidecar) gRPC port: what callers dial. */
  port: number;
  httpPort?: number;
  appPort?: number;
  /** The process whose liveness vouches for the registration; defaults to the registering process. */
  pid?: number;
}

/** spec §6.1 `ResolveRequest` without `Data`, which no built-in resolver reads. */
export interface ResolveRequest {
  id: string;
  namespace: string;
  /** The caller's own internal gRPC port; part of the cache key, as in Dapr (spec §2.5). */
  port?: number;
}

export interface NameResolver {
  readonly name: string;
  /** Announce this sidecar; a no-op for resolvers that only read (static, dns). */
  register(instance: AppInstance): Promise<void>;
  /** Every known `host:port` (IPv6 hosts bracketed) for the app; `[]` when none is known. */
  resolve(req: ResolveRequest, signal?: AbortSignal): Promise<string[]>;
  /** Deregister and stop timers. Idempotent. */
  close(): Promise<void>;
}

export type ResolverLogLevel = "debug" | "info" | "warn" | "error";
export type ResolverLog = (level: ResolverLogLevel, msg: string, fields?: object) => void;

/** What a resolver factory receives: `spec.nameResolution.configuration` and the environment. */
export interface ResolverContext {
  /** The component's own settings, as decoded from YAML; each resolver validates its own. */
  configuration: unknown;
  env: NodeJS.ProcessEnv;
  log?: ResolverLog;
}

export type ResolverFactory = (ctx: ResolverContext) => NameResolver;

/**
 * Chooses one address from a non-empty list. `key` is the cache key (spec §6.1), so a
 * stateful picker can keep per-app state.
 */
export type Picker = (addresses: readonly string[], key: string) => string;
