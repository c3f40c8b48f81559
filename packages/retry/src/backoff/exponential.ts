import type { Backoff, BackoffSequence } from "./backoff.js";

export interface ExponentialBackoffOptions {
  /** First centre value `c`. Default 500 ms. */
  readonly initialIntervalMs?: number;
  /** `c` is multiplied by this after each retry. Default 1.5. */
  readonly multiplier?: number;
  /** Each wait is uniform in `[c·(1−r), c·(1+r)]`. Default 0.5; 0 disables jitter. */
  readonly randomizationFactor?: number;
  /** Cap on `c` (a randomized wait can exceed it by up to `r`). Default 60 s. */
  readonly maxIntervalMs?: number;
  /** Stop once the time since `start()` plus the next wait would exceed this; 0 or Infinity = never. Default 15 min. */
  readonly maxElapsedTimeMs?: number;
  /** Uniform source in [0, 1); injectable so tests are deterministic. Default `Math.random`. */
  readonly random?: () => number;
  /** Monotonic clock in ms for the elapsed-time limit. Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * Dapr's exponential back-off, i.e. the cenkalti/backoff library defaults that Dapr's
 * resiliency resource cannot change except for `maxInterval` (spec §5.1, §5.2).
 */
export const DAPR_EXPONENTIAL_DEFAULTS = {
  initialIntervalMs: 500,
  multiplier: 1.5,
  randomizationFactor: 0.5,
  maxIntervalMs: 60_000,
  maxElapsedTimeMs: 15 * 60_000,
} as const;

/**
 * Randomized exponential back-off with the semantics of cenkalti/backoff's
 * `ExponentialBackOff`, which Dapr uses (spec §5.1): the n-th wait is uniform in
 * `[c·(1−r), c·(1+r)]`, `c` starts at `initialIntervalMs` and is multiplied by `multiplier`
 * after each retry, capped at `maxIntervalMs`; the sequence ends when the elapsed time plus
 * the next wait would exceed `maxElapsedTimeMs` — even if the retry policy allows unlimited
 * retries.
 *
 * Two deliberate differences from the Go library: the interval is `[min, max]` in ms without
 * its `+1` (which is a nanosecond there, a whole millisecond here), and `c` is capped from the
 * first wait on (Go starts at `initialInterval` even when `maxInterval` is smaller).
 */
export class ExponentialBackoff implements Backoff {
  readonly initialIntervalMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
  readonly maxIntervalMs: number;
  readonly maxElapsedTimeMs: number;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(opts: ExponentialBackoffOptions = {}) {
    this.initialIntervalMs = opts.initialIntervalMs ?? DAPR_EXPONENTIAL_DEFAULTS.initialIntervalMs;
    this.multiplier = opts.multiplier ?? DAPR_EXPONENTIAL_DEFAULTS.multiplier;
    this.randomizationFactor = opts.randomizationFactor ?? DAPR_EXPONENTIAL_DEFAULTS.randomizationFactor;
    this.maxIntervalMs = opts.maxIntervalMs ?? DAPR_EXPONENTIAL_DEFAULTS.maxIntervalMs;
    this.maxElapsedTimeMs = opts.maxElapsedTimeMs ?? DAPR_EXPONENTIAL_DEFAULTS.maxElapsedTimeMs;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? (() => performance.now());

    const finiteAtLeast = (min: number) => (v: number) => Number.isFinite(v) && v >= min;
    check("initialIntervalMs", this.initialIntervalMs, finiteAtLeast(0), "a finite number >= 0");
    check("multiplier", this.multiplier, finiteAtLeast(1), "a finite number >= 1");
    check("randomizationFactor", this.randomizationFactor, (v) => v >= 0 && v <= 1, "between 0 and 1");
    check("maxIntervalMs", this.maxIntervalMs, finiteAtLeast(0), "a finite number >= 0");
    check("maxElapsedTimeMs", this.maxElapsedTimeMs, (v) => v >= 0, "a number >= 0 (0 or Infinity = no limit)");
  }

  start(): BackoffSequence {
    const { multiplier, randomizationFactor: r, maxIntervalMs } = this;
    const limit = this.maxElapsedTimeMs === 0 ? Infinity : this.maxElapsedTimeMs;
    const random = this.#random;
    const now = this.#now;
    const startedAt = now();
    let current = Math.min(this.initialIntervalMs, maxIntervalMs);
    let stopped = false;

    return {
      next() {
        if (stopped) return undefined;
        const min = current * (1 - r);
        const max = current * (1 + r);
        const wait = min + random() * (max - min);
        current = Math.min(current * multiplier, maxIntervalMs);
        // cenkalti checks elapsed + next wait, so it never sleeps past the limit (spec §5.1).
        if (now() - startedAt + wait > limit) {
          stopped = true;
          return undefined;
        }
        return wait;
      },
    };
  }
}

function check(name: string, value: number, valid: (v: number) => boolean, expected: string): void {
  if (!valid(value)) throw new RangeError(`ExponentialBackoff: ${name} must be ${expected}, got ${value}`);
}
