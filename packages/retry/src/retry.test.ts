import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Backoff } from "./backoff/backoff.js";
import { ConstantBackoff } from "./backoff/constant.js";
import { ExponentialBackoff } from "./backoff/exponential.js";
import { isAbortError, RetriesExhaustedError } from "./errors.js";
import type { AttemptContext, Outcome } from "./policy.js";
import { retry, RetryPolicy, type GiveUpEvent, type RetryEvent } from "./retry.js";

const noWait = new ConstantBackoff(0);

/** Settle a promise into a value so fake-timer tests never leave a rejection unhandled. */
function capture<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** A function failing with `fail-<attempt>` for the first `failures` attempts, then returning `"ok"`. */
function flaky(failures: number) {
  return vi.fn(async ({ attempt }: AttemptContext) => {
    if (attempt < failures) throw new Error(`fail-${attempt}`);
    return "ok";
  });
}

describe("RetryPolicy", () => {
  it("returns the first success without retrying", async () => {
    const fn = vi.fn(async (_ctx: AttemptContext) => 42);
    await expect(retry({ maxRetries: 3, backoff: noWait }).execute(fn)).resolves.toBe(42);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]![0].attempt).toBe(0);
  });

  it("retries errors until success, numbering attempts from 0", async () => {
    const fn = flaky(2);
    await expect(retry({ maxRetries: 3, backoff: noWait }).execute(fn)).resolves.toBe("ok");
    expect(fn.mock.calls.map(([ctx]) => ctx.attempt)).toEqual([0, 1, 2]);
  });

  it("treats a synchronous throw like a rejection", async () => {
    let calls = 0;
    const fn = (() => {
      if (calls++ === 0) throw new Error("sync");
      return Promise.resolve("ok");
    }) as (ctx: AttemptContext) => Promise<string>;
    await expect(retry({ maxRetries: 1, backoff: noWait }).execute(fn)).resolves.toBe("ok");
    expect(calls).toBe(2);
  });

  it("rethrows a non-retryable error immediately, as the same object", async () => {
    const permanent = new Error("permanent");
    const fn = vi.fn(async () => {
      throw permanent;
    });
    const policy = retry({ maxRetries: 5, backoff: noWait, shouldRetry: (o) => !o.ok && o.error !== permanent });
    const giveUp = vi.fn();
    policy.onGiveUp(giveUp);
    await expect(policy.execute(fn)).rejects.toBe(permanent);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(giveUp).not.toHaveBeenCalled();
  });

  it("stops on a non-retryable error in the middle of retrying", async () => {
    const permanent = new Error("permanent");
    const fn = vi.fn(async ({ attempt }: AttemptContext) => {
      throw attempt === 2 ? permanent : new Error("transient");
    });
    const policy = retry({ maxRetries: 10, backoff: noWait, shouldRetry: (o) => !o.ok && o.error !== permanent });
    await expect(policy.execute(fn)).rejects.toBe(permanent);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("throws RetriesExhaustedError with the last error as cause after maxRetries", async () => {
    const fn = flaky(Number.POSITIVE_INFINITY);
    const error = (await capture(retry({ maxRetries: 3, backoff: noWait }).execute(fn))) as { ok: false; error: RetriesExhaustedError };
    expect(fn).toHaveBeenCalledTimes(4);
    expect(error.ok).toBe(false);
    expect(error.error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.error.retries).toBe(3);
    expect(error.error.attempts).toBe(4);
    expect(error.error.code).toBe("COURIER_RETRIES_EXHAUSTED");
    expect(error.error.name).toBe("RetriesExhaustedError");
    expect((error.error.cause as Error).message).toBe("fail-3");
    expect(error.error.message).toBe("after 3 retries: fail-3");
  });

  it("makes a single attempt when maxRetries is 0", async () => {
    const fn = flaky(1);
    const result = await capture(retry({ maxRetries: 0, backoff: noWait }).execute(fn));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(result.ok).toBe(false);
    expect((result as { error: RetriesExhaustedError }).error.retries).toBe(0);
  });

  it("retries without limit when maxRetries is -1", async () => {
    const fn = flaky(100);
    await expect(retry({ maxRetries: -1, backoff: noWait }).execute(fn)).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(101);
  });

  it("gives up when the back-off sequence ends, even with retries left", async () => {
    const waits = [0, 0];
    const backoff: Backoff = { start: () => ({ next: () => waits.shift() }) };
    const fn = flaky(Number.POSITIVE_INFINITY);
    const result = await capture(retry({ maxRetries: -1, backoff }).execute(fn));
    expect(fn).toHaveBeenCalledTimes(3);
    expect((result as { error: RetriesExhaustedError }).error.retries).toBe(2);
    expect((result as { error: RetriesExhaustedError }).error.message).toBe("after 2 retries: fail-2");
  });

  it("starts a fresh back-off sequence for every execute", async () => {
    const start = vi.fn(() => ({ next: () => 0 }));
    const policy = retry({ maxRetries: 2, backoff: { start } });
    await policy.execute(flaky(2));
    await policy.execute(flaky(1));
    expect(start).toHaveBeenCalledTimes(2);
  });

  it("does not ask the back-off for a wait once retries are exhausted", async () => {
    const next = vi.fn(() => 0);
    await capture(retry({ maxRetries: 2, backoff: { start: () => ({ next }) } }).execute(flaky(10)));
    expect(next).toHaveBeenCalledTimes(2);
  });

  describe("value classification", () => {
    type Res = { status: number };
    const retryOn503 = (o: Outcome<Res>) => o.ok && o.value.status === 503;

    it("returns a value by default, never retrying it", async () => {
      const fn = vi.fn(async () => ({ status: 503 }));
      await expect(retry({ maxRetries: 3, backoff: noWait }).execute(fn)).resolves.toEqual({ status: 503 });
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it("retries a retryable value and returns the first non-retryable one", async () => {
      const statuses = [503, 503, 200];
      const fn = vi.fn(async (): Promise<Res> => ({ status: statuses.shift()! }));
      await expect(retry<Res>({ maxRetries: 5, backoff: noWait, shouldRetry: retryOn503 }).execute(fn)).resolves.toEqual({ status: 200 });
      expect(fn).toHaveBeenCalledTimes(3);
    });

    it("returns the last retryable value once retries are exhausted (no error)", async () => {
      let n = 0;
      const fn = async (): Promise<Res & { n: number }> => ({ status: 503, n: n++ });
      const policy = retry<Res>({ maxRetries: 2, backoff: noWait, shouldRetry: retryOn503 });
      const giveUp = vi.fn();
      policy.onGiveUp(giveUp);
      await expect(policy.execute(fn)).resolves.toEqual({ status: 503, n: 2 });
      expect(giveUp).toHaveBeenCalledWith({ attempt: 2, retries: 2, outcome: { ok: true, value: { status: 503, n: 2 } } });
    });

    it("passes each outcome and its attempt index to shouldRetry", async () => {
      const shouldRetry = vi.fn((o: Outcome<unknown>) => !o.ok);
      await retry({ maxRetries: 5, backoff: noWait, shouldRetry }).execute(flaky(2));
      expect(shouldRetry.mock.calls).toEqual([
        [{ ok: false, error: new Error("fail-0") }, 0],
        [{ ok: false, error: new Error("fail-1") }, 1],
        [{ ok: true, value: "ok" }, 2],
      ]);
    });
  });

  describe("beforeRetry", () => {
    it("runs once per retry, in order, with the retried outcome — not on success or give-up", async () => {
      const seen: Array<[string, number]> = [];
      const policy = retry({
        maxRetries: 3,
        backoff: noWait,
        beforeRetry: (o, attempt) => void seen.push([(o as { error: Error }).error.message, attempt]),
      });
      await capture(policy.execute(flaky(10)));
      expect(seen).toEqual([
        ["fail-0", 0],
        ["fail-1", 1],
        ["fail-2", 2],
      ]);
    });

    it("is awaited before the wait, and the wait before the next attempt", async () => {
      vi.useFakeTimers();
      try {
        const log: string[] = [];
        const fn = vi.fn(async ({ attempt }: AttemptContext) => {
          log.push(`attempt ${attempt} @${Date.now()}`);
          if (attempt === 0) throw new Error("x");
          return "ok";
        });
        const policy = retry({
          maxRetries: 1,
          backoff: new ConstantBackoff(1000),
          beforeRetry: async () => {
            log.push(`before @${Date.now()}`);
            await new Promise((r) => setTimeout(r, 300));
            log.push(`before done @${Date.now()}`);
          },
        });
        const start = Date.now();
        const p = policy.execute(fn);
        await vi.advanceTimersByTimeAsync(1300);
        await expect(p).resolves.toBe("ok");
        expect(log.map((l) => l.replace(/@(\d+)/, (_, t: string) => `@${Number(t) - start}`))).toEqual([
          "attempt 0 @0",
          "before @0",
          "before done @300",
          "attempt 1 @1300",
        ]);
      } finally {
        vi.useRealTimers();
      }
    });

    it("ends the execution with its error when it throws", async () => {
      const hookError = new Error("hook");
      const fn = flaky(10);
      const policy = retry({
        maxRetries: 3,
        backoff: noWait,
        beforeRetry: () => {
          throw hookError;
        },
      });
      await expect(policy.execute(fn)).rejects.toBe(hookError);
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });

  describe("waiting (fake timers)", () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it("waits the constant interval between attempts", async () => {
      const start = Date.now();
      const times: number[] = [];
      const fn = vi.fn(async () => {
        times.push(Date.now() - start);
        throw new Error("down");
      });
      const p = capture(retry({ maxRetries: 3, backoff: new ConstantBackoff(1000) }).execute(fn));
      await vi.advanceTimersByTimeAsync(999);
      expect(fn).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(fn).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(5000);
      expect(times).toEqual([0, 1000, 2000, 3000]);
      expect((await p).ok).toBe(false);
    });

    it("waits the exponential back-off's delays", async () => {
      const start = Date.now();
      const times: number[] = [];
      const fn = vi.fn(async () => {
        times.push(Date.now() - start);
        throw new Error("down");
      });
      const backoff = new ExponentialBackoff({ random: () => 0, now: () => Date.now() });
      const p = capture(retry({ maxRetries: 3, backoff }).execute(fn));
      await vi.advanceTimersByTimeAsync(10_000);
      // Waits 250, 375, 562.5; timers have whole-millisecond resolution and truncate the last.
      expect(times).toEqual([0, 250, 625, 1187]);
      await p;
    });

    it("stops an unlimited exponential retry at the max elapsed time (spec §5.1)", async () => {
      const fn = vi.fn(async () => {
        throw new Error("down");
      });
      const backoff = new ExponentialBackoff({ randomizationFactor: 0, maxIntervalMs: 1000, maxElapsedTimeMs: 10_000, now: () => Date.now() });
      const p = capture(retry({ maxRetries: -1, backoff }).execute(fn));
      await vi.advanceTimersByTimeAsync(60_000);
      const result = await p;
      // Waits 500, 750, 1000 × 8 = 9250 ms ≤ 10 s; the next 1000 would pass it.
      expect(fn).toHaveBeenCalledTimes(11);
      expect((result as { error: RetriesExhaustedError }).error.retries).toBe(10);
    });

    it("rejects with the signal's reason when aborted during a wait, with no further attempt", async () => {
      const ac = new AbortController();
      const fn = vi.fn(async () => {
        throw new Error("down");
      });
      const giveUp = vi.fn();
      const policy = retry({ maxRetries: -1, backoff: new ConstantBackoff(1000) });
      policy.onGiveUp(giveUp);
      const p = capture(policy.execute(fn, ac.signal));
      await vi.advanceTimersByTimeAsync(500);
      const reason = new Error("caller gone");
      ac.abort(reason);
      expect(await p).toEqual({ ok: false, error: reason });
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(giveUp).not.toHaveBeenCalled();
    });
  });

  describe("cancellation", () => {
    it("rejects with the reason without calling fn when the signal is already aborted", async () => {
      const ac = new AbortController();
      ac.abort();
      const fn = vi.fn(async () => 1);
      const result = await capture(retry({ maxRetries: 3, backoff: noWait }).execute(fn, ac.signal));
      expect(fn).not.toHaveBeenCalled();
      expect(result).toEqual({ ok: false, error: ac.signal.reason });
      expect(isAbortError((result as { error: unknown }).error)).toBe(true);
    });

    it("passes a signal that aborts when the caller's does", async () => {
      const ac = new AbortController();
      let seen: AbortSignal | undefined;
      const beforeRetry = vi.fn();
      const p = capture(
        retry({ maxRetries: 3, backoff: noWait, beforeRetry }).execute(
          ({ signal }) =>
            new Promise((_, reject) => {
              seen = signal;
              signal.addEventListener("abort", () => reject(new Error("attempt aborted")));
            }),
          ac.signal,
        ),
      );
      await Promise.resolve();
      expect(seen?.aborted).toBe(false);
      ac.abort("bye");
      expect(seen?.aborted).toBe(true);
      // The attempt's own abort error is retryable, but the caller is gone: reject with its reason.
      expect(await p).toEqual({ ok: false, error: "bye" });
      expect(beforeRetry).not.toHaveBeenCalled();
    });

    it("does not turn an attempt failing because of the caller's abort into RetriesExhaustedError", async () => {
      const ac = new AbortController();
      const policy = retry({ maxRetries: 0, backoff: noWait });
      const result = await capture(
        policy.execute(async () => {
          ac.abort("bye");
          throw new Error("aborted mid-attempt");
        }, ac.signal),
      );
      expect(result).toEqual({ ok: false, error: "bye" });
    });

    it("gives each execute without a signal its own never-aborted signal", async () => {
      const signals: AbortSignal[] = [];
      const policy = retry({ maxRetries: 0, backoff: noWait });
      await policy.execute(async ({ signal }) => signals.push(signal));
      await policy.execute(async ({ signal }) => signals.push(signal));
      expect(signals[0]).toBeInstanceOf(AbortSignal);
      expect(signals[0]!.aborted).toBe(false);
      expect(signals[0]).not.toBe(signals[1]);
    });

    it("still rethrows a non-retryable error as-is if the caller aborted meanwhile", async () => {
      const ac = new AbortController();
      const permanent = new Error("permanent");
      const policy = retry({ maxRetries: 3, backoff: noWait, shouldRetry: (o) => !o.ok && o.error !== permanent });
      await expect(
        policy.execute(async () => {
          ac.abort();
          throw permanent;
        }, ac.signal),
      ).rejects.toBe(permanent);
    });
  });

  describe("events", () => {
    it("emits onRetry before each wait with the failed attempt, delay and outcome", async () => {
      const events: Array<RetryEvent<unknown>> = [];
      const waits = [10, 20, 30];
      const backoff: Backoff = { start: () => ({ next: () => waits.shift() }) };
      const policy = retry({ maxRetries: 5, backoff });
      policy.onRetry((e) => events.push(e));
      await policy.execute(async ({ attempt }) => {
        if (attempt < 2) throw new Error(`fail-${attempt}`);
        return attempt;
      });
      expect(events).toEqual([
        { attempt: 0, delayMs: 10, outcome: { ok: false, error: new Error("fail-0") } },
        { attempt: 1, delayMs: 20, outcome: { ok: false, error: new Error("fail-1") } },
      ]);
    });

    it("emits onGiveUp once when retries are exhausted", async () => {
      const events: Array<GiveUpEvent<unknown>> = [];
      const policy = retry({ maxRetries: 2, backoff: noWait });
      policy.onGiveUp((e) => events.push(e));
      await capture(policy.execute(flaky(10)));
      expect(events).toEqual([{ attempt: 2, retries: 2, outcome: { ok: false, error: new Error("fail-2") } }]);
      await policy.execute(flaky(0));
      expect(events).toHaveLength(1);
    });

    it("stops calling a listener once disposed, and dispose is idempotent", async () => {
      const policy = retry({ maxRetries: 3, backoff: noWait });
      const listener = vi.fn();
      const sub = policy.onRetry(listener);
      await policy.execute(flaky(1));
      expect(listener).toHaveBeenCalledTimes(1);
      sub.dispose();
      sub.dispose();
      await policy.execute(flaky(2));
      expect(listener).toHaveBeenCalledTimes(1);
    });

    it("treats the same listener subscribed twice as two subscriptions", async () => {
      const policy = retry({ maxRetries: 3, backoff: noWait });
      const listener = vi.fn();
      const a = policy.onRetry(listener);
      policy.onRetry(listener);
      await policy.execute(flaky(1));
      expect(listener).toHaveBeenCalledTimes(2);
      a.dispose();
      await policy.execute(flaky(1));
      expect(listener).toHaveBeenCalledTimes(3);
    });

    it("does not let a throwing listener change the outcome; its error surfaces from a microtask", async () => {
      const thrown: Array<() => void> = [];
      const spy = vi.spyOn(globalThis, "queueMicrotask").mockImplementation((cb) => void thrown.push(cb));
      try {
        const policy = retry({ maxRetries: 3, backoff: noWait });
        const listenerError = new Error("listener bug");
        const after = vi.fn();
        policy.onRetry(() => {
          throw listenerError;
        });
        policy.onRetry(after);
        const fn = flaky(1);
        await expect(policy.execute(fn)).resolves.toBe("ok");
        expect(fn).toHaveBeenCalledTimes(2);
        expect(after).toHaveBeenCalledTimes(1);
        expect(thrown).toHaveLength(1);
        expect(() => thrown[0]!()).toThrow(listenerError);
      } finally {
        spy.mockRestore();
      }
    });
  });

  it.each([-2, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects maxRetries %s", (maxRetries) => {
    expect(() => retry({ maxRetries, backoff: noWait })).toThrow(RangeError);
  });

  it("retry() builds a RetryPolicy exposing its configuration", () => {
    const backoff = new ConstantBackoff(1000);
    const policy = retry({ maxRetries: 3, backoff });
    expect(policy).toBeInstanceOf(RetryPolicy);
    expect(policy.maxRetries).toBe(3);
    expect(policy.backoff).toBe(backoff);
  });
});
