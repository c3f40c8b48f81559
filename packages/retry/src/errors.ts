// Every error this package creates, with a stable `code` to test against instead of the
// message (the undici/fastify pattern). Messages follow Dapr's wording where Dapr has one.

export const ErrorCode = {
  RetriesExhausted: "COURIER_RETRIES_EXHAUSTED",
  Timeout: "COURIER_TIMEOUT",
  InvalidStatusCodes: "COURIER_INVALID_STATUS_CODES",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A retryable error was still failing when the retries ran out (or the back-off stopped,
 * e.g. after its max elapsed time). `cause` is the last attempt's error, unchanged.
 */
export class RetriesExhaustedError extends Error {
  override readonly name = "RetriesExhaustedError";
  readonly code = ErrorCode.RetriesExhausted;
  /** Attempts made: `retries + 1`. */
  readonly attempts: number;

  constructor(
    /** Retries performed (attempts after the first). */
    readonly retries: number,
    cause: unknown,
  ) {
    // Mirrors daprd's "failed to invoke target <id> after <n> retries. Error: <err>" (spec §2.9),
    // leaving the target-specific prefix to the caller.
    super(`after ${retries} retries: ${describe(cause)}`, { cause });
    this.attempts = retries + 1;
  }
}

/**
 * An attempt did not settle within its timeout. The message is Go's context error text,
 * which is what Dapr reports for a resiliency timeout (spec §10 item 9).
 */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly code = ErrorCode.Timeout;

  constructor(readonly timeoutMs: number) {
    super("context deadline exceeded");
  }
}

/** A status-code list in a resiliency `matching` block is malformed or out of range (spec §5.1). */
export class InvalidStatusCodesError extends Error {
  override readonly name = "InvalidStatusCodesError";
  readonly code = ErrorCode.InvalidStatusCodes;

  constructor(
    /** The whole list as given. */
    readonly input: string,
    /** The item that was rejected. */
    readonly item: string,
    reason: string,
  ) {
    super(`invalid status code pattern "${item}" in "${input}": ${reason}`);
  }
}

/** True for the `AbortError` a signal aborted without a reason carries (and fetch and Node streams throw). */
export function isAbortError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError";
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  try {
    return String(cause);
  } catch {
    // e.g. Object.create(null): not worth failing the error construction over.
    return Object.prototype.toString.call(cause);
  }
}
