export type {
  AppInstance,
  NameResolver,
  Picker,
  ResolveRequest,
  ResolverContext,
  ResolverFactory,
  ResolverLog,
  ResolverLogLevel,
} from "./resolver.js";
export { ResolverCache, type ResolverCacheOptions } from "./cache.js";
export { ResolveError, ResolverConfigError, isResolveError } from "./errors.js";
export { createRandomPicker, randomPicker } from "./pickers/random.js";
export { roundRobinPicker } from "./pickers/round-robin.js";
export { DEFAULT_RESOLVER, createResolver, knownResolvers, registerResolver } from "./registry.js";
export {
  LocalResolver,
  localResolverFactory,
  type LocalInstance,
  type LocalRegistryEntry,
  type LocalResolverOptions,
} from "./resolvers/local.js";
export { StaticResolver, staticResolverFactory, type StaticResolverConfig } from "./resolvers/static.js";
