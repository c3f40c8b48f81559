import type { Backoff } from "./backoff/backoff.js";
import { RetriesExhaustedError } from "./errors.js";
import { Emitter, type Disposable, type Listener } from "./events.js";
import type { AttemptContext, Outcome, Policy } from "./policy.js";
import { sleep } from "./sleep.js";

export interface RetryOptions<T = unknown> {
  /** Retries after the first attempt: -1 = unlimited, 0 = none (Dapr's `maxRetries`, spec §5.1). */
  readonly maxRetries: number;
  readonly backoff: Backoff;
  /**
   * Whether an attempt's outcome should be retried; `attempt` is that attempt's 0-based index.
   * Default: every error, never a value. Callers pass transport classifiers here (e.g. gRPC
   * Unavailable/Unauthenticated for the built-in retry, spec §2.9; `matching` status codes, §5.5).
   */
  readonly shouldRetry?: (outcome: Outcome<T>, attempt: number) => boolean;
  /**
   * Runs after a retryable outcome and before the wait, e.g. to drop a pooled connection and
   * a resolver cache entry (spec §2.9) or to release a discarded response. A throw ends the
   * execution with that error.
   */
  readonly beforeRetry?: (outcome: Outcome<T>, attempt: number) => void | Promise<void>;
}

export interface RetryEvent<T> {
  /** 0-based index of the attempt whose outcome is being retried; the next attempt is `attempt + 1`. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly outcome: Outcome<T>;
}

export interface GiveUpEvent<T> {
  /** 0-based index of the last attempt. */
  readonly attempt: number;
  /** Retries performed. */
  readonly retries: number;
  /** The last, still retryable, outcome. */
  readonly outcome: Outcome<T>;
}

const retryEveryError = (outcome: Outcome<unknown>): boolean => !outcome.ok;

/**
 * Runs a function until its outcome is not retryable or the retries run out.
 *
 * `T` is the value type the classifiers see. `execute` stays generic so the policy composes
 * in `wrap()`; it does not check that `fn` returns a `T`.
 */
export class RetryPolicy<T = unknown> implements Policy {
  readonly maxRetries: number;
  readonly backoff: Backoff;
  readonly #shouldRetry: (outcome: Outcome<T>, attempt: number) => boolean;
  readonly #beforeRetry: ((outcome: Outcome<T>, attempt: number) => void | Promise<void>) | undefined;
  readonly #onRetry = new Emitter<RetryEvent<T>>();
  readonly #onGiveUp = new Emitter<GiveUpEvent<T>>();

  constructor(opts: RetryOptions<T>) {
    if (!(Number.isInteger(opts.maxRetries) && opts.maxRetries >= -1)) {
      throw new RangeError(`RetryPolicy: maxRetries must be an integer >= -1, got ${opts.maxRetries}`);
    }
    this.maxRetries = opts.maxRetries;
    this.backoff = opts.backoff;
    this.#shouldRetry = opts.shouldRetry ?? retryEveryError;
    this.#beforeRetry = opts.beforeRetry;
  }

  /** Fires before each wait, after `beforeRetry`. */
  onRetry(listener: Listener<RetryEvent<T>>): Disposable {
    return this.#onRetry.on(listener);
  }

  /** Fires when a retryable outcome is final because the retries or the back-off ran out. */
  onGiveUp(listener: Listener<GiveUpEvent<T>>): Disposable {
    return this.#onGiveUp.on(listener);
  }

  async execute<R>(fn: (ctx: AttemptContext) => Promise<R>, signal?: AbortSignal): Promise<R> {
    // A private never-aborted signal rather than a shared one: functions add listeners to it.
    const outer = signal ?? new AbortController().signal;
    const delays = this.backoff.start();

    for (let attempt = 0; ; attempt++) {
      // Also covers an abort that lands just as a wait ends: no further attempt.
      outer.throwIfAborted();

      let outcome: Outcome<R>;
      try {
        outcome = { ok: true, value: await fn({ attempt, signal: outer }) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      // The classifiers are typed for T; see the class comment.
      const seen = outcome as Outcome<unknown> as Outcome<T>;

      if (!this.#shouldRetry(seen, attempt)) return settle(outcome);
      // The caller gave up while the attempt ran: its failure is no reason to go on.
      outer.throwIfAborted();

      const delayMs = this.maxRetries === -1 || attempt < this.maxRetries ? delays.next() : undefined;
      if (delayMs === undefined) {
        this.#onGiveUp.emit({ attempt, retries: attempt, outcome: seen });
        if (outcome.ok) return outcome.value;
        throw new RetriesExhaustedError(attempt, outcome.error);
      }

      await this.#beforeRetry?.(seen, attempt);
      this.#onRetry.emit({ attempt, delayMs, outcome: seen });
      await sleep(delayMs, outer);
    }
  }
}

export function retry<T = unknown>(opts: RetryOptions<T>): RetryPolicy<T> {
  return new RetryPolicy(opts);
}

function settle<R>(outcome: Outcome<R>): R {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
