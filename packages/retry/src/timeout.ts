import { singleAttemptContext } from "./context.js";
import { disposeResult } from "./dispose-result.js";
import { TimeoutError } from "./errors.js";
import { Emitter, type Disposable, type Listener } from "./events.js";
import type { AttemptContext, Policy } from "./policy.js";
import { MAX_TIMER_DELAY_MS } from "./sleep.js";

export interface TimeoutEvent {
  readonly timeoutMs: number;
}

/**
 * Gives each execution `timeoutMs` to settle. When the time is up the attempt's signal aborts with a
 * `TimeoutError` and the policy rejects with it at once, without waiting for `fn`; a late
 * result is disposed (spec §5.4). An abort of the caller's signal ends it the same way, with
 * the caller's reason.
 *
 * The deadline covers `fn`'s promise only. Whether that includes reading a response body is
 * the caller's choice: Dapr's covers the body and cuts slow downloads (spec §10 item 7).
 */
export class TimeoutPolicy implements Policy {
  readonly #onTimeout = new Emitter<TimeoutEvent>();

  constructor(readonly timeoutMs: number) {
    if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_DELAY_MS)) {
      throw new RangeError(`TimeoutPolicy: timeoutMs must be > 0 and <= ${MAX_TIMER_DELAY_MS}, got ${timeoutMs}`);
    }
  }

  /** Fires when an execution times out, before the policy rejects. */
  onTimeout(listener: Listener<TimeoutEvent>): Disposable {
    return this.#onTimeout.on(listener);
  }

  execute<T>(fn: (ctx: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const attempt = new AbortController();
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onCallerAbort);
        return true;
      };
      const giveUp = (reason: unknown): void => {
        if (!finish()) return;
        attempt.abort(reason);
        reject(reason);
      };
      const onCallerAbort = (): void => giveUp(signal!.reason);
      const timer = setTimeout(() => {
        if (settled) return;
        this.#onTimeout.emit({ timeoutMs: this.timeoutMs });
        giveUp(new TimeoutError(this.timeoutMs));
      }, this.timeoutMs);
      signal?.addEventListener("abort", onCallerAbort, { once: true });

      let pending: Promise<T>;
      try {
        pending = fn(singleAttemptContext(attempt.signal));
      } catch (error) {
        // A function that throws before returning its promise.
        if (finish()) reject(error);
        return;
      }
      Promise.resolve(pending).then(
        (value) => {
          if (finish()) resolve(value);
          else disposeResult(value);
        },
        (error: unknown) => {
          // After a timeout the function's own rejection (usually the abort) has no reader.
          if (finish()) reject(error);
        },
      );
    });
  }
}

export function timeout(ms: number): TimeoutPolicy {
  return new TimeoutPolicy(ms);
}
