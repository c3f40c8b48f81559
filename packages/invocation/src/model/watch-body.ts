import type { BodyStream } from "./body.js";

export interface BodyOutcome {
  /** Bytes that went through. */
  bytes: number;
  /** Why the body did not complete: its own error, or "abandoned" when the reader gave up. */
  error?: unknown;
}

/**
 * Passes a body through and calls `settled` exactly once when it ends, fails or is abandoned.
 * Filters use it for work that belongs to the end of a response (access log line, releasing a
 * concurrency slot), since a response is only over when its body is.
 */
export function watchBody(body: BodyStream, settled: (outcome: BodyOutcome) => void): BodyStream {
  // Once per body, however often it is iterated: a slot or a log line must not be released twice.
  let bytes = 0;
  let reported = false;
  const report = (error?: unknown) => {
    if (reported) return;
    reported = true;
    settled(error === undefined ? { bytes } : { bytes, error });
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const abandoned = () => report(new Error("response body abandoned"));
      const inner = (async function* () {
        try {
          for await (const chunk of body) {
            bytes += chunk.byteLength;
            yield chunk;
          }
          report();
        } catch (err) {
          report(err);
          throw err;
        } finally {
          abandoned();
        }
      })();
      return {
        next: () => inner.next(),
        // A generator closed before its first next() skips its finally; a consumer that gives up
        // before reading (Readable.from(body).destroy()) does exactly that, so settle here too.
        return: async (value?: unknown) => {
          try {
            return await inner.return(value as undefined);
          } finally {
            abandoned();
          }
        },
      };
    },
  };
}
