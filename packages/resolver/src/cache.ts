import { ResolveError } from "./errors.js";
import { randomPicker } from "./pickers/random.js";
import type { NameResolver, Picker, ResolveRequest } from "./resolver.js";

export interface ResolverCacheOptions {
  /** How long a non-empty address list is reused. 0 disables caching (lookups still coalesce). */
  ttlMs?: number;
  picker?: Picker;
  /** Extra lookups after an empty answer (spec §2.5: up to 5). */
  emptyRetries?: number;
  /** Constant pause between those lookups (spec §2.5: 100 ms). */
  emptyRetryDelayMs?: number;
  now?: () => number;
}

interface Entry {
  readonly addresses: readonly string[];
  readonly expiresAt: number;
}

/** One lookup in flight, shared by every caller that missed the same key meanwhile. */
interface Lookup {
  readonly promise: Promise<string[]>;
  readonly controller: AbortController;
  waiters: number;
  settled: boolean;
}

/** Past this many entries, expired ones are swept on insert so the map cannot grow forever. */
const SWEEP_THRESHOLD = 1024;

/**
 * Address cache in front of a {@link NameResolver}, after daprd's ResolveIDMulti cache
 * (spec §2.5) with the empty-answer retry of its ResolveID path applied to every resolver.
 */
export class ResolverCache {
  readonly resolver: NameResolver;
  readonly #ttlMs: number;
  readonly #picker: Picker;
  readonly #emptyRetries: number;
  readonly #emptyRetryDelayMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #lookups = new Map<string, Lookup>();

  constructor(resolver: NameResolver, opts: ResolverCacheOptions = {}) {
    this.resolver = resolver;
    this.#ttlMs = nonNegative("ttlMs", opts.ttlMs ?? 5000);
    this.#emptyRetries = nonNegativeInt("emptyRetries", opts.emptyRetries ?? 5);
    this.#emptyRetryDelayMs = nonNegative("emptyRetryDelayMs", opts.emptyRetryDelayMs ?? 100);
    this.#picker = opts.picker ?? randomPicker;
    this.#now = opts.now ?? Date.now;
  }

  /** spec §6.1 `ResolveRequest.CacheKey()`: `<namespace>/<id>/<port>`, port 0 when unset. */
  static cacheKey(req: ResolveRequest): string {
    return `${req.namespace}/${req.id}/${req.port ?? 0}`;
  }

  async pick(req: ResolveRequest, signal?: AbortSignal): Promise<string> {
    const addresses = await this.addresses(req, signal);
    return this.#picker(addresses, ResolverCache.cacheKey(req));
  }

  /** The current non-empty address list; throws {@link ResolveError} when there is none. */
  async addresses(req: ResolveRequest, signal?: AbortSignal): Promise<string[]> {
    signal?.throwIfAborted();
    const key = ResolverCache.cacheKey(req);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (this.#now() < entry.expiresAt) return [...entry.addresses];
      this.#entries.delete(key);
    }
    const lookup = this.#lookups.get(key) ?? this.#startLookup(key, req);
    return [...(await this.#join(key, lookup, signal))];
  }

  /**
   * Forget the key, including a lookup still in flight (its answer may predate the failure):
   * the caller does this after Unavailable / Unauthenticated (spec §2.9).
   */
  invalidate(req: ResolveRequest): void {
    const key = ResolverCache.cacheKey(req);
    this.#entries.delete(key);
    this.#lookups.delete(key);
  }

  #startLookup(key: string, req: ResolveRequest): Lookup {
    const controller = new AbortController();
    const lookup: Lookup = {
      controller,
      waiters: 0,
      settled: false,
      promise: this.#lookup(req, controller.signal).then(
        (addresses) => {
          // A lookup that was invalidated or abandoned meanwhile must not refill the cache.
          if (this.#lookups.get(key) === lookup && this.#ttlMs > 0) this.#store(key, addresses);
          return addresses;
        },
      ).finally(() => {
        lookup.settled = true;
        if (this.#lookups.get(key) === lookup) this.#lookups.delete(key);
      }),
    };
    // Every waiter handles the outcome itself; this only keeps an abandoned lookup's rejection
    // from surfacing as an unhandled rejection.
    lookup.promise.catch(() => {});
    this.#lookups.set(key, lookup);
    return lookup;
  }

  /**
   * Wait for a shared lookup under the caller's own signal. One caller giving up must not fail
   * the others, so the lookup itself is aborted only once every waiter has left.
   */
  #join(key: string, lookup: Lookup, signal: AbortSignal | undefined): Promise<string[]> {
    lookup.waiters++;
    if (signal === undefined) return lookup.promise;
    return new Promise<string[]>((resolve, reject) => {
      const onAbort = () => {
        lookup.waiters--;
        if (lookup.waiters === 0 && !lookup.settled) {
          if (this.#lookups.get(key) === lookup) this.#lookups.delete(key);
          lookup.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      lookup.promise.then(
        (addresses) => {
          signal.removeEventListener("abort", onAbort);
          resolve(addresses);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  /**
   * spec §2.5: an empty answer is retried with a constant pause, a resolver error is not
   * (it is returned at once); an empty list is never cached.
   */
  async #lookup(req: ResolveRequest, signal: AbortSignal): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      let addresses: unknown;
      try {
        addresses = await this.resolver.resolve(req, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof ResolveError) throw err;
        const why = err instanceof Error ? err.message : String(err);
        throw new ResolveError(
          `failed to resolve app id ${req.id} in namespace ${req.namespace} with the ${this.resolver.name} resolver: ${why}`,
          { cause: err, appId: req.id, namespace: req.namespace },
        );
      }
      if (!Array.isArray(addresses)) {
        throw new ResolveError(
          `the ${this.resolver.name} resolver returned ${typeof addresses} instead of an address list for app id ${req.id}`,
          { appId: req.id, namespace: req.namespace },
        );
      }
      if (addresses.length > 0) return addresses.slice() as string[];
      if (attempt >= this.#emptyRetries) break;
      await sleep(this.#emptyRetryDelayMs, signal);
    }
    throw new ResolveError(`couldn't find app id ${req.id} in namespace ${req.namespace}`, {
      appId: req.id,
      namespace: req.namespace,
    });
  }

  #store(key: string, addresses: readonly string[]): void {
    const now = this.#now();
    if (this.#entries.size >= SWEEP_THRESHOLD) {
      for (const [k, e] of this.#entries) if (now >= e.expiresAt) this.#entries.delete(k);
    }
    this.#entries.set(key, { addresses: addresses.slice(), expiresAt: now + this.#ttlMs });
  }
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`ResolverCache: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`ResolverCache: ${name} must be an integer ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** The global timer rather than node:timers/promises, so callers' fake timers drive it too. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
