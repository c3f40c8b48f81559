/**
 * Pure math for the bench: percentiles and the open-loop schedule. No I/O, so it is unit-tested
 * (stats.test.ts) and the generator in open-loop.ts only has to do the sending.
 */

/**
 * Nearest-rank percentile of an ascending-sorted array: the smallest value such that at least
 * p % of the values are ≤ it. p in [0, 100]; p = 0 gives the minimum. NaN for an empty array.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p === 0) return sorted[0]!;
  // The epsilon keeps e.g. 0.9 * 10 (= 9.000000000000002 in floating point) at rank 9.
  const rank = Math.ceil((p / 100) * n - 1e-9);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** p50/p90/p99/max of unsorted latencies (copies, then sorts numerically). */
export function summarize(values: readonly number[]): { count: number; p50: number; p90: number; p99: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * A fixed-rate schedule: request i (0-based) is due at `i * 1000 / rate` ms after the start, for
 * `durationMs`; the first `warmupMs` of it are sent but not recorded.
 */
export interface Schedule {
  rate: number;
  durationMs: number;
  warmupMs: number;
}

/** Total number of requests in the schedule: the due times in [0, durationMs). */
export function totalRequests(s: Schedule): number {
  return Math.ceil((s.durationMs * s.rate) / 1000 - 1e-9);
}

/** When request i is due, in ms after the schedule start. */
export function dueAt(s: Schedule, i: number): number {
  return (i * 1000) / s.rate;
}

/**
 * How many requests are due by `elapsedMs` after the start (those with due time ≤ elapsed),
 * capped at the schedule's total. The generator sends requests [sent, dueBy(now)) on every tick,
 * so a late tick catches up with a burst instead of silently dropping (or delaying) the schedule.
 */
export function dueBy(s: Schedule, elapsedMs: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(totalRequests(s), Math.floor((elapsedMs * s.rate) / 1000 + 1e-9) + 1);
}

/** Whether request i is recorded (due at or after the warm-up). */
export function isRecorded(s: Schedule, i: number): boolean {
  return dueAt(s, i) >= s.warmupMs - 1e-9;
}

/**
 * Latency of one open-loop request: from its scheduled send time (not the moment it actually
 * left), so time spent waiting behind a slow tick or a busy connection counts (no coordinated
 * omission).
 */
export function openLoopLatency(startMs: number, s: Schedule, i: number, doneMs: number): number {
  return doneMs - (startMs + dueAt(s, i));
}

/** Mebibytes, for printing. */
export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}
