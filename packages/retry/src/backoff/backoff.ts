/**
 * A back-off strategy. Backoffs are immutable values that can be shared by any number of
 * policies; each `execute()` calls `start()` to get its own stateful sequence.
 */
export interface Backoff {
  start(): BackoffSequence;
}

/** The waits of one execution, in order. */
export interface BackoffSequence {
  /** Milliseconds to wait before the next retry, or `undefined` to stop retrying (e.g. max elapsed time reached). */
  next(): number | undefined;
}
