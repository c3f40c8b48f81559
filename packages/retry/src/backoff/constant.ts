import type { Backoff, BackoffSequence } from "./backoff.js";

/**
 * The same wait before every retry, with no elapsed-time limit: a constant policy without
 * `maxRetries` retries forever, as in Dapr (spec §5.1). Dapr's built-in service-invocation
 * retry is `new ConstantBackoff(1000)` with 3 retries (spec §2.9).
 */
export class ConstantBackoff implements Backoff {
  constructor(readonly intervalMs: number) {
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) {
      throw new RangeError(`ConstantBackoff: intervalMs must be a finite number >= 0, got ${intervalMs}`);
    }
  }

  start(): BackoffSequence {
    const intervalMs = this.intervalMs;
    return { next: () => intervalMs };
  }
}
