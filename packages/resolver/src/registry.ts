import { ResolverConfigError } from "./errors.js";
import type { NameResolver, ResolverContext, ResolverFactory } from "./resolver.js";
import { localResolverFactory } from "./resolvers/local.js";
import { staticResolverFactory } from "./resolvers/static.js";

/** What `spec.nameResolution.component` means when it is not set. */
export const DEFAULT_RESOLVER = "local";

// Keyed by lower-case name: Dapr's component registries match names case-insensitively.
const factories = new Map<string, ResolverFactory>([
  ["local", localResolverFactory],
  ["static", staticResolverFactory],
]);

/**
 * Make `component` selectable in `spec.nameResolution.component`, like grpc-js's
 * `registerResolver(scheme, …)`. A later registration under the same name replaces the earlier
 * one, so an embedder can swap a built-in.
 */
export function registerResolver(component: string, factory: ResolverFactory): void {
  if (typeof component !== "string" || component.trim() === "") {
    throw new TypeError("registerResolver: component name must be a non-empty string");
  }
  if (typeof factory !== "function") throw new TypeError(`registerResolver(${component}): factory must be a function`);
  factories.set(normalize(component), factory);
}

export function createResolver(component: string, ctx: ResolverContext): NameResolver {
  const factory = typeof component === "string" ? factories.get(normalize(component)) : undefined;
  if (factory === undefined) {
    throw new ResolverConfigError(
      `unknown name resolution component ${JSON.stringify(component)} (known: ${knownResolvers().join(", ")})`,
    );
  }
  return factory(ctx);
}

export function knownResolvers(): string[] {
  return [...factories.keys()].sort();
}

function normalize(component: string): string {
  return component.trim().toLowerCase();
}
