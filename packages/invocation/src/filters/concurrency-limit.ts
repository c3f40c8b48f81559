import { GrpcCode, InvocationError } from "../errors.js";
import { watchBody } from "../model/watch-body.js";
import type { Filter } from "./filter.js";

/**
 * `--app-max-concurrency` (spec §3.4): at most `limit` calls inside the app at once. A slot is
 * held until the response body has been fully relayed, so long streams count; waiting honours
 * the call's signal and a cancelled waiter never consumes a slot.
 */
export function concurrencyLimit(limit: number): Filter {
  if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  let active = 0;
  const waiters: Array<() => void> = [];

  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else active--;
  };

  const acquire = (signal: AbortSignal): Promise<void> => {
    if (active < limit) {
      active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = waiters.indexOf(grant);
        if (i >= 0) waiters.splice(i, 1);
        reject(new InvocationError(GrpcCode.DeadlineExceeded, "context canceled while waiting for an app concurrency slot"));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      waiters.push(grant);
    });
  };

  return (next) => async (req, ctx) => {
    await acquire(ctx.signal);
    let res;
    try {
      res = await next(req, ctx);
    } catch (err) {
      release();
      throw err;
    }
    res.body = watchBody(res.body, release);
    return res;
  };
}
