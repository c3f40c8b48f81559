import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "./errors.js";
import type { AttemptContext, Outcome } from "./policy.js";
import { timeout, TimeoutPolicy } from "./timeout.js";

function capture<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** A function whose promise the test settles by hand. */
function controlled<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  let ctx: AttemptContext | undefined;
  const fn = vi.fn((c: AttemptContext) => {
    ctx = c;
    return new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
  });
  return { fn, resolve: (v: T) => resolve(v), reject: (e: unknown) => reject(e), ctx: () => ctx! };
}

describe("TimeoutPolicy", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("returns fn's value when it settles in time, leaving no timer or listener behind", async () => {
    const ac = new AbortController();
    const remove = vi.spyOn(ac.signal, "removeEventListener");
    const f = controlled<string>();
    const p = timeout(1000).execute(f.fn, ac.signal);
    await vi.advanceTimersByTimeAsync(999);
    f.resolve("fast");
    await expect(p).resolves.toBe("fast");
    expect(vi.getTimerCount()).toBe(0);
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
    expect(f.ctx().signal.aborted).toBe(false);
  });

  it("passes fn's own rejection through as the same object", async () => {
    const f = controlled<string>();
    const p = capture(timeout(1000).execute(f.fn));
    const boom = new Error("boom");
    f.reject(boom);
    expect(await p).toEqual({ ok: false, error: boom });
    expect((await p as { error: unknown }).error).toBe(boom);
  });

  it("rejects a function that throws synchronously", async () => {
    const boom = new Error("sync");
    const fn = (() => {
      throw boom;
    }) as () => Promise<never>;
    await expect(timeout(1000).execute(fn)).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with TimeoutError after ms and aborts the attempt's signal with it", async () => {
    const f = controlled<string>();
    const p = capture(timeout(1000).execute(f.fn));
    await vi.advanceTimersByTimeAsync(999);
    expect(f.ctx().signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const result = (await p) as { ok: false; error: TimeoutError };
    expect(result.ok).toBe(false);
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(result.error.message).toBe("context deadline exceeded");
    expect(result.error.name).toBe("TimeoutError");
    expect(result.error.code).toBe("COURIER_TIMEOUT");
    expect(result.error.timeoutMs).toBe(1000);
    expect(f.ctx().signal.aborted).toBe(true);
    expect(f.ctx().signal.reason).toBe(result.error);
  });

  it("rejects even when fn ignores the signal and never settles", async () => {
    const fn = vi.fn(() => new Promise<never>(() => {}));
    const p = capture(timeout(50).execute(fn));
    await vi.advanceTimersByTimeAsync(50);
    expect((await p).ok).toBe(false);
  });

  it("swallows fn's rejection after the timeout (no unhandled rejection)", async () => {
    const f = controlled<string>();
    const p = capture(timeout(10).execute(f.fn));
    await vi.advanceTimersByTimeAsync(10);
    f.reject(new Error("late failure"));
    await vi.advanceTimersByTimeAsync(0);
    expect((await p as { error: unknown }).error).toBeInstanceOf(TimeoutError);
  });

  describe("late results (spec §5.4)", () => {
    async function lateResult(value: unknown): Promise<void> {
      const f = controlled<unknown>();
      const p = capture(timeout(10).execute(f.fn));
      await vi.advanceTimersByTimeAsync(10);
      expect((await p).ok).toBe(false);
      f.resolve(value);
      await vi.advanceTimersByTimeAsync(0);
    }

    it("calls dispose() on a late result", async () => {
      const dispose = vi.fn();
      await lateResult({ dispose });
      expect(dispose).toHaveBeenCalledTimes(1);
    });

    it("calls close() when there is no dispose(), with the result as this", async () => {
      const resource = {
        closed: false,
        close() {
          this.closed = true;
        },
      };
      await lateResult(resource);
      expect(resource.closed).toBe(true);
    });

    it("prefers dispose() over close()", async () => {
      const dispose = vi.fn();
      const close = vi.fn();
      await lateResult({ dispose, close });
      expect(dispose).toHaveBeenCalledTimes(1);
      expect(close).not.toHaveBeenCalled();
    });

    it("ignores a failing dispose or close, sync or async", async () => {
      await lateResult({
        dispose() {
          throw new Error("dispose failed");
        },
      });
      await lateResult({ close: () => Promise.reject(new Error("close failed")) });
      // Reaching here without an unhandled rejection failing the run is the assertion.
      expect(vi.getTimerCount()).toBe(0);
    });

    it("leaves non-resources alone", async () => {
      for (const value of [undefined, null, 42, "text", { dispose: "not a function" }]) await lateResult(value);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("does not dispose a result that arrived in time", async () => {
      const dispose = vi.fn();
      const f = controlled<{ dispose: () => void }>();
      const p = timeout(10).execute(f.fn);
      f.resolve({ dispose });
      await p;
      await vi.advanceTimersByTimeAsync(100);
      expect(dispose).not.toHaveBeenCalled();
    });
  });

  describe("caller's signal", () => {
    it("rejects with the reason without calling fn when already aborted", async () => {
      const ac = new AbortController();
      ac.abort(new Error("gone"));
      const fn = vi.fn(async () => 1);
      await expect(timeout(1000).execute(fn, ac.signal)).rejects.toBe(ac.signal.reason);
      expect(fn).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    });

    it("on abort, aborts the attempt and rejects at once with the caller's reason", async () => {
      const ac = new AbortController();
      const f = controlled<string>();
      const p = capture(timeout(1000).execute(f.fn, ac.signal));
      await vi.advanceTimersByTimeAsync(100);
      const reason = new Error("caller gone");
      ac.abort(reason);
      expect(await p).toEqual({ ok: false, error: reason });
      expect(f.ctx().signal.reason).toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it("gives fn attempt 0", async () => {
    const fn = vi.fn(async (ctx: AttemptContext) => ctx.attempt);
    await expect(timeout(10).execute(fn)).resolves.toBe(0);
  });

  it("emits onTimeout on a timeout only, until disposed", async () => {
    const policy = timeout(10);
    const listener = vi.fn();
    const sub = policy.onTimeout(listener);
    await policy.execute(async () => "fast");
    expect(listener).not.toHaveBeenCalled();
    const p = capture(policy.execute(() => new Promise(() => {})));
    await vi.advanceTimersByTimeAsync(10);
    await p;
    expect(listener).toHaveBeenCalledWith({ timeoutMs: 10 });
    sub.dispose();
    const q = capture(policy.execute(() => new Promise(() => {})));
    await vi.advanceTimersByTimeAsync(10);
    await q;
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])("rejects ms = %s", (ms) => {
    expect(() => new TimeoutPolicy(ms)).toThrow(RangeError);
  });
});
