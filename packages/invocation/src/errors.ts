/** gRPC status codes; invocation errors carry one so every API can map them (spec §3.6, §4.3). */
export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

const CODE_NAMES = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k])) as Record<number, string>;

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

/**
 * An invocation failed before the callee app answered. `message` is the bare description;
 * `toString()` gives Go's `rpc error: code = X desc = …` form, which Dapr puts in its HTTP
 * error bodies (spec §4.3).
 */
export class InvocationError extends Error {
  override readonly name = "InvocationError";
  constructor(
    readonly code: GrpcCode,
    message: string,
    options?: { cause?: unknown; plain?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.plain = options?.plain ?? false;
  }

  /**
   * True for errors that daprd reports as plain Go errors rather than gRPC statuses (name
   * resolution, retries exhausted): the HTTP API then shows the bare message.
   */
  readonly plain: boolean;

  /** The text daprd puts after `err: ` in an ERR_DIRECT_INVOKE body. */
  get apiText(): string {
    return this.plain ? this.message : this.rpcText;
  }

  /** Go's status error text, as daprd's HTTP API shows it. */
  get rpcText(): string {
    return `rpc error: code = ${grpcCodeName(this.code)} desc = ${this.message}`;
  }
}

export function isInvocationError(err: unknown): err is InvocationError {
  return err instanceof InvocationError;
}

/** Go's `context deadline exceeded`: a call that ran out of time. */
export function deadlineExceededError(cause?: unknown): InvocationError {
  return new InvocationError(GrpcCode.DeadlineExceeded, "context deadline exceeded", cause === undefined ? undefined : { cause });
}

/**
 * The error for a call whose signal was aborted: the abort reason when it already is an
 * InvocationError, DeadlineExceeded for a timeout, else Go's `context canceled`.
 */
export function abortedCallError(signal: AbortSignal, cause?: unknown): InvocationError {
  const reason: unknown = signal.reason;
  if (reason instanceof InvocationError) return reason;
  if ((reason as Error | undefined)?.name === "TimeoutError") return deadlineExceededError(cause);
  return new InvocationError(GrpcCode.Canceled, "context canceled", cause === undefined ? undefined : { cause });
}
