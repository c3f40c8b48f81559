/** What a policy tells the function it runs: which attempt this is and when to give up. */
export interface AttemptContext {
  /** 0-based index of this attempt; only retrying policies advance it. */
  readonly attempt: number;
  /** Aborted when the caller gives up or the attempt's own deadline passes; honour it. */
  readonly signal: AbortSignal;
}

/**
 * The one interface every policy implements, so `wrap(retry, breaker, timeout)` can compose
 * them (spec §5.4). A policy that is already aborted must reject with `signal.reason`
 * without calling `fn`.
 */
export interface Policy {
  execute<T>(fn: (ctx: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** The settled result of one attempt, as classifiers and events see it. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };
