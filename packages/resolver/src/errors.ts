/** A lookup failed: nothing registered under the id, or the resolver itself failed. */
export class ResolveError extends Error {
  override readonly name = "ResolveError";
  readonly code = "ERR_RESOLVE";
  readonly appId: string | undefined;
  readonly namespace: string | undefined;

  constructor(message: string, options?: { cause?: unknown; appId?: string; namespace?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.appId = options?.appId;
    this.namespace = options?.namespace;
  }
}

/** A resolver was asked for by an unknown name or given settings it cannot use. */
export class ResolverConfigError extends Error {
  override readonly name = "ResolverConfigError";
  readonly code = "ERR_RESOLVER_CONFIG";
}

export function isResolveError(err: unknown): err is ResolveError {
  return err instanceof ResolveError;
}
