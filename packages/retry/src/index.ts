export type { AttemptContext, Outcome, Policy } from "./policy.js";
export type { Disposable, Listener } from "./events.js";
export type { Backoff, BackoffSequence } from "./backoff/backoff.js";
export { ConstantBackoff } from "./backoff/constant.js";
export {
  DAPR_EXPONENTIAL_DEFAULTS,
  ExponentialBackoff,
  type ExponentialBackoffOptions,
} from "./backoff/exponential.js";
export { retry, RetryPolicy, type GiveUpEvent, type RetryEvent, type RetryOptions } from "./retry.js";
export { timeout, TimeoutPolicy, type TimeoutEvent } from "./timeout.js";
export { wrap } from "./wrap.js";
export { MAX_TIMER_DELAY_MS, sleep } from "./sleep.js";
export { ErrorCode, InvalidStatusCodesError, isAbortError, RetriesExhaustedError, TimeoutError } from "./errors.js";
export {
  GRPC_STATUS_CODE_BOUNDS,
  HTTP_STATUS_CODE_BOUNDS,
  parseStatusCodeRanges,
  type StatusCodeBounds,
  type StatusCodePredicate,
} from "./status-code-ranges.js";
