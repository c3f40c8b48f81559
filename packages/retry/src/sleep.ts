/**
 * The largest delay a Node timer honours. Anything above it (or Infinity) fires after 1 ms,
 * so a longer wait is rejected here rather than silently turned into a retry storm.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Resolve after `ms`; reject with `signal.reason` as soon as the signal aborts (or already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!(ms >= 0 && ms <= MAX_TIMER_DELAY_MS)) {
      reject(new RangeError(`sleep: delay must be between 0 and ${MAX_TIMER_DELAY_MS} ms, got ${ms}`));
      return;
    }
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
