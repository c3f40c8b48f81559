import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_DELAY_MS, sleep } from "./sleep.js";

describe("sleep", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("resolves after the delay, not before", async () => {
    let done = false;
    const p = sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    await p;
  });

  it("rejects with the signal's reason when aborted during the wait, and clears its timer", async () => {
    const ac = new AbortController();
    const reason = new Error("stop");
    const p = sleep(1000, ac.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(400);
    ac.abort(reason);
    expect(await p).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at once, without a timer, when the signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    const p = sleep(1000, ac.signal).catch((e: unknown) => e);
    expect(vi.getTimerCount()).toBe(0);
    const error = await p;
    expect(error).toBe(ac.signal.reason);
    expect((error as Error).name).toBe("AbortError");
  });

  it("stops listening to the signal once the wait is over", async () => {
    const ac = new AbortController();
    const remove = vi.spyOn(ac.signal, "removeEventListener");
    const p = sleep(10, ac.signal);
    await vi.advanceTimersByTimeAsync(10);
    await p;
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_TIMER_DELAY_MS + 1])(
    "rejects a delay Node timers would not honour (%s)",
    async (ms) => {
      await expect(sleep(ms)).rejects.toBeInstanceOf(RangeError);
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it("accepts 0 and the largest timer delay", async () => {
    const p = sleep(0);
    await vi.advanceTimersByTimeAsync(0);
    await expect(p).resolves.toBeUndefined();
    void sleep(MAX_TIMER_DELAY_MS);
    expect(vi.getTimerCount()).toBe(1);
  });
});
