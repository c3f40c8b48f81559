import { GrpcCode, InvocationError } from "../errors.js";
import type { BodyStream } from "../model/body.js";
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
    res.body = releaseAtEnd(res.body, release);
    return res;
  };
}

function releaseAtEnd(body: BodyStream, release: () => void): BodyStream {
  let released = false;
  const once = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const inner = (async function* () {
        try {
          yield* body;
        } finally {
          once();
        }
      })();
      return {
        next: () => inner.next(),
        // A generator closed before its first next() skips its finally, and a consumer that
        // gives up before reading (Readable.from(body).destroy()) does exactly that: release here too.
        return: async (value?: unknown) => {
          try {
            return await inner.return(value as undefined);
          } finally {
            once();
          }
        },
      };
    },
  };
}
