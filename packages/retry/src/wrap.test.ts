import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConstantBackoff } from "./backoff/constant.js";
import { RetriesExhaustedError, TimeoutError } from "./errors.js";
import type { AttemptContext, Outcome, Policy } from "./policy.js";
import { retry } from "./retry.js";
import { timeout } from "./timeout.js";
import { wrap } from "./wrap.js";

function capture<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** A policy that logs when it is entered and left, and derives a tagged signal for its inner function. */
function tracing(name: string, log: string[]): Policy & { seenSignals: Array<AbortSignal | undefined> } {
  const seenSignals: Array<AbortSignal | undefined> = [];
  return {
    seenSignals,
    async execute(fn, signal) {
      seenSignals.push(signal);
      log.push(`${name} in`);
      const ac = new AbortController();
      signal?.addEventListener("abort", () => ac.abort(signal.reason));
      try {
        return await fn({ attempt: 0, signal: ac.signal });
      } finally {
        log.push(`${name} out`);
      }
    },
  };
}

describe("wrap", () => {
  it("runs policies outermost first", async () => {
    const log: string[] = [];
    const result = await wrap(tracing("a", log), tracing("b", log), tracing("c", log)).execute(async () => {
      log.push("fn");
      return 7;
    });
    expect(result).toBe(7);
    expect(log).toEqual(["a in", "b in", "c in", "fn", "c out", "b out", "a out"]);
  });

  it("hands each policy the signal of the one outside it, and fn the innermost", async () => {
    const log: string[] = [];
    const a = tracing("a", log);
    const b = tracing("b", log);
    const ac = new AbortController();
    let fnSignal: AbortSignal | undefined;
    await wrap(a, b).execute(async ({ signal }) => void (fnSignal = signal), ac.signal);
    expect(a.seenSignals[0]).toBe(ac.signal);
    expect(b.seenSignals[0]).not.toBe(ac.signal);
    expect(fnSignal).not.toBe(b.seenSignals[0]);
    ac.abort("x");
    expect(b.seenSignals[0]!.aborted).toBe(true);
    expect(fnSignal!.aborted).toBe(true);
  });

  it("with no policies runs fn once, and not at all when already aborted", async () => {
    const fn = vi.fn(async (ctx: AttemptContext) => ctx.attempt);
    await expect(wrap().execute(fn)).resolves.toBe(0);
    const ac = new AbortController();
    ac.abort("no");
    await expect(wrap().execute(fn, ac.signal)).rejects.toBe("no");
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("a wrapped policy can be wrapped again", async () => {
    const log: string[] = [];
    await wrap(tracing("a", log), wrap(tracing("b", log), tracing("c", log))).execute(async () => void log.push("fn"));
    expect(log).toEqual(["a in", "b in", "c in", "fn", "c out", "b out", "a out"]);
  });

  describe("retry of timeouts (spec §5.4)", () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it("retries timed-out attempts, each with its own deadline and the retry's attempt number", async () => {
      const signals: AbortSignal[] = [];
      const fn = vi.fn(({ attempt, signal }: AttemptContext) => {
        signals.push(signal);
        return attempt < 2 ? new Promise<string>(() => {}) : Promise.resolve(`ok on ${attempt}`);
      });
      const p = capture(wrap(retry({ maxRetries: 3, backoff: new ConstantBackoff(100) }), timeout(1000)).execute(fn));
      await vi.advanceTimersByTimeAsync(1000 + 100 + 1000 + 100);
      expect(await p).toEqual({ ok: true, value: "ok on 2" });
      expect(fn.mock.calls.map(([ctx]) => ctx.attempt)).toEqual([0, 1, 2]);
      expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
      expect(signals[0]!.reason).toBeInstanceOf(TimeoutError);
    });

    it("ends in RetriesExhaustedError caused by the last TimeoutError", async () => {
      const fn = vi.fn(() => new Promise<never>(() => {}));
      const p = capture(wrap(retry({ maxRetries: 2, backoff: new ConstantBackoff(0) }), timeout(50)).execute(fn));
      await vi.advanceTimersByTimeAsync(200);
      const result = (await p) as { ok: false; error: RetriesExhaustedError };
      expect(result.error).toBeInstanceOf(RetriesExhaustedError);
      expect(result.error.cause).toBeInstanceOf(TimeoutError);
      expect(result.error.message).toBe("after 2 retries: context deadline exceeded");
      expect(fn).toHaveBeenCalledTimes(3);
    });

    it("lets the retry classifier see the TimeoutError", async () => {
      const shouldRetry = vi.fn((o: Outcome<unknown>) => !o.ok && !(o.error instanceof TimeoutError));
      const p = capture(wrap(retry({ maxRetries: 5, backoff: new ConstantBackoff(0), shouldRetry }), timeout(50)).execute(() => new Promise(() => {})));
      await vi.advanceTimersByTimeAsync(50);
      expect((await p as { error: unknown }).error).toBeInstanceOf(TimeoutError);
      expect(shouldRetry).toHaveBeenCalledTimes(1);
    });

    it("the other way round, one timeout bounds the whole retry loop, waits included", async () => {
      const fn = vi.fn(async (_ctx: AttemptContext) => {
        throw new Error("down");
      });
      const p = capture(wrap(timeout(2500), retry({ maxRetries: -1, backoff: new ConstantBackoff(1000) })).execute(fn));
      await vi.advanceTimersByTimeAsync(2500);
      expect((await p as { error: unknown }).error).toBeInstanceOf(TimeoutError);
      // Attempts at 0, 1000, 2000; the wait for the 3000 one was aborted. The retry, being
      // inside, still numbers the attempts.
      expect(fn.mock.calls.map(([ctx]) => ctx.attempt)).toEqual([0, 1, 2]);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fn).toHaveBeenCalledTimes(3);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("an abort of the caller's signal stops everything", async () => {
      const ac = new AbortController();
      const fn = vi.fn(() => new Promise<never>(() => {}));
      const p = capture(wrap(retry({ maxRetries: -1, backoff: new ConstantBackoff(0) }), timeout(1000)).execute(fn, ac.signal));
      await vi.advanceTimersByTimeAsync(500);
      ac.abort("bye");
      expect(await p).toEqual({ ok: false, error: "bye" });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });
});
