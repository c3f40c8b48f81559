import { describe, expect, it } from "vitest";
import type { BackoffSequence } from "./backoff.js";
import { DAPR_EXPONENTIAL_DEFAULTS, ExponentialBackoff } from "./exponential.js";

function take(seq: BackoffSequence, n: number): Array<number | undefined> {
  return Array.from({ length: n }, () => seq.next());
}

describe("ExponentialBackoff", () => {
  it("has Dapr's defaults (spec §5.1)", () => {
    expect(DAPR_EXPONENTIAL_DEFAULTS).toEqual({
      initialIntervalMs: 500,
      multiplier: 1.5,
      randomizationFactor: 0.5,
      maxIntervalMs: 60_000,
      maxElapsedTimeMs: 900_000,
    });
    const b = new ExponentialBackoff();
    expect([b.initialIntervalMs, b.multiplier, b.randomizationFactor, b.maxIntervalMs, b.maxElapsedTimeMs]).toEqual([
      500, 1.5, 0.5, 60_000, 900_000,
    ]);
  });

  it("draws at the lower bound c·(1−r) when random() is 0", () => {
    const seq = new ExponentialBackoff({ random: () => 0, now: () => 0 }).start();
    expect(take(seq, 4)).toEqual([250, 375, 562.5, 843.75]);
  });

  it("draws at the upper bound c·(1+r) when random() is 1", () => {
    const seq = new ExponentialBackoff({ random: () => 1, now: () => 0 }).start();
    expect(take(seq, 4)).toEqual([750, 1125, 1687.5, 2531.25]);
  });

  it("draws the centre c when random() is 0.5, and exactly c with no randomization", () => {
    const mid = new ExponentialBackoff({ random: () => 0.5, now: () => 0 }).start();
    expect(take(mid, 3)).toEqual([500, 750, 1125]);
    const exact = new ExponentialBackoff({ randomizationFactor: 0, random: () => 0.9, now: () => 0 }).start();
    expect(take(exact, 3)).toEqual([500, 750, 1125]);
  });

  it("stays within [c·(1−r), c·(1+r)] with the default random source", () => {
    const seq = new ExponentialBackoff({ multiplier: 2, maxIntervalMs: 1e6, now: () => 0 }).start();
    let c = 500;
    for (let i = 0; i < 10; i++) {
      const wait = seq.next()!;
      expect(wait).toBeGreaterThanOrEqual(c * 0.5);
      expect(wait).toBeLessThanOrEqual(c * 1.5);
      c *= 2;
    }
  });

  it("caps c at maxInterval, so a randomized wait exceeds it by at most r", () => {
    const opts = { maxIntervalMs: 1000, now: () => 0 };
    expect(take(new ExponentialBackoff({ ...opts, random: () => 0.5 }).start(), 5)).toEqual([500, 750, 1000, 1000, 1000]);
    expect(take(new ExponentialBackoff({ ...opts, random: () => 1 }).start(), 5)).toEqual([750, 1125, 1500, 1500, 1500]);
  });

  it("caps c from the first wait when initialInterval exceeds maxInterval", () => {
    const seq = new ExponentialBackoff({ initialIntervalMs: 5000, maxIntervalMs: 100, randomizationFactor: 0, now: () => 0 }).start();
    expect(take(seq, 2)).toEqual([100, 100]);
  });

  it("stops once elapsed time plus the next wait would exceed maxElapsedTime", () => {
    let clock = 1_000_000;
    const seq = new ExponentialBackoff({
      initialIntervalMs: 1000,
      multiplier: 1,
      randomizationFactor: 0,
      maxElapsedTimeMs: 3500,
      now: () => clock,
    }).start();
    const waits: Array<number | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const wait = seq.next();
      waits.push(wait);
      clock += wait ?? 0;
    }
    // 0+1000, 1000+1000, 2000+1000 fit in 3500; 3000+1000 does not; it stays stopped.
    expect(waits).toEqual([1000, 1000, 1000, undefined, undefined]);
  });

  it("counts time spent outside waits (the attempts) toward maxElapsedTime", () => {
    let clock = 0;
    const seq = new ExponentialBackoff({ initialIntervalMs: 1000, multiplier: 1, randomizationFactor: 0, maxElapsedTimeMs: 3000, now: () => clock }).start();
    clock = 2000; // a slow first attempt
    expect(seq.next()).toBe(1000); // 2000 + 1000 is not over 3000
    clock = 2001;
    expect(seq.next()).toBeUndefined();
  });

  it("never stops on elapsed time when maxElapsedTime is 0 or Infinity", () => {
    for (const maxElapsedTimeMs of [0, Number.POSITIVE_INFINITY]) {
      let clock = 0;
      const seq = new ExponentialBackoff({ maxElapsedTimeMs, maxIntervalMs: 1000, random: () => 0.5, now: () => clock }).start();
      clock = 1e12;
      expect(seq.next()).toBe(500);
    }
  });

  it("measures elapsed time from start(), giving every sequence fresh state", () => {
    let clock = 0;
    const backoff = new ExponentialBackoff({ random: () => 0.5, maxElapsedTimeMs: 1000, now: () => clock });
    const first = backoff.start();
    expect(first.next()).toBe(500);
    clock = 10_000;
    expect(first.next()).toBeUndefined();
    const second = backoff.start();
    // Neither the first sequence's clock nor its grown interval carries over.
    expect(take(second, 2)).toEqual([500, 750]);
  });

  it.each([
    [{ initialIntervalMs: -1 }],
    [{ initialIntervalMs: Number.NaN }],
    [{ multiplier: 0.5 }],
    [{ randomizationFactor: -0.1 }],
    [{ randomizationFactor: 1.1 }],
    [{ maxIntervalMs: Number.POSITIVE_INFINITY }],
    [{ maxElapsedTimeMs: -1 }],
  ])("rejects invalid options %j", (opts) => {
    expect(() => new ExponentialBackoff(opts)).toThrow(RangeError);
  });
});
