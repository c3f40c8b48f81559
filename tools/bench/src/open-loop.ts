/**
 * Open-loop load at a fixed rate: requests are sent at scheduled times whatever happened to the
 * earlier ones, and each latency is measured from its scheduled send time (stats.ts), so a slow
 * proxy shows up as queueing delay instead of as a lower offered rate.
 */
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { dueBy, isRecorded, openLoopLatency, summarize, totalRequests } from "./stats.js";
import type { Schedule } from "./stats.js";

export interface OpenLoopOptions extends Schedule {
  /** e.g. http://127.0.0.1:8080 */
  origin: string;
  path: string;
  body: Buffer;
  /** Connections in the undici Pool (enough that the pool is not the bottleneck). */
  connections: number;
  /** After the last scheduled send, how long outstanding requests may take before they are abandoned. */
  drainCapMs: number;
}

export interface OpenLoopResult {
  /** Requests in the recorded part of the schedule. */
  recorded: number;
  ok: number;
  /** Recorded requests that failed (transport error, non-200 status, wrong body length). */
  errors: number;
  /** Recorded requests still outstanding when the drain cap ran out (not counted in errors; +∞ in the percentiles). */
  unfinished: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Worst lateness of an actual send behind its schedule (generator health), ms. */
  maxSendLagMs: number;
  firstError?: string;
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(o.origin, {
    connections: o.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: o.drainCapMs + o.durationMs,
    bodyTimeout: o.drainCapMs + o.durationMs,
  });
  const total = totalRequests(o);
  const latencies: number[] = [];
  let recorded = 0;
  let errors = 0;
  let finished = 0;
  let outstandingRecorded = 0;
  let maxSendLagMs = 0;
  let firstError: string | undefined;
  let sent = 0;
  let wakeDrain: (() => void) | undefined;
  const start = performance.now();

  /** Set once the drain cap ran out: what happens to abandoned requests after that is not counted. */
  let closed = false;
  const fail = (rec: boolean, msg: string) => {
    if (!rec || closed) return;
    errors++;
    firstError ??= msg;
  };

  const send = (i: number) => {
    const rec = isRecorded(o, i);
    if (rec) {
      recorded++;
      outstandingRecorded++;
    }
    pool
      .request({ origin: o.origin, path: o.path, method: "POST", body: o.body, headers: { "content-type": "application/octet-stream" } })
      .then(async (res) => {
        const got = Buffer.from(await res.body.arrayBuffer());
        const done = performance.now();
        if (res.statusCode !== 200) fail(rec, `status ${res.statusCode}: ${got.subarray(0, 200).toString()}`);
        else if (got.length !== o.body.length) fail(rec, `echoed ${got.length} bytes, sent ${o.body.length}`);
        else if (rec && !closed) latencies.push(openLoopLatency(start, o, i, done));
      })
      .catch((err: unknown) => fail(rec, String((err as Error)?.message ?? err)))
      .finally(() => {
        finished++;
        if (rec) outstandingRecorded--;
        if (finished === total) wakeDrain?.();
      });
  };

  // Tick: send everything due by now, then sleep until the next due time (timers are ~1 ms
  // granular, which is why latency is taken from the schedule, not from the send).
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now() - start;
      const due = dueBy(o, now);
      for (; sent < due; sent++) {
        maxSendLagMs = Math.max(maxSendLagMs, now - (sent * 1000) / o.rate);
        send(sent);
      }
      if (sent >= total) return resolve();
      const next = (sent * 1000) / o.rate;
      setTimeout(tick, Math.max(0, next - (performance.now() - start)));
    };
    tick();
  });

  // Drain, bounded.
  if (finished < total) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, o.drainCapMs);
      wakeDrain = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  const unfinished = outstandingRecorded;
  closed = true;
  await pool.destroy().catch(() => {});
  // Abandoned requests took longer than anything measured: they count as +∞, so a saturated
  // setup cannot look fast by leaving its slowest requests out of the percentiles.
  const s = summarize([...latencies, ...Array.from({ length: unfinished }, () => Number.POSITIVE_INFINITY)]);
  return {
    recorded,
    ok: latencies.length,
    errors,
    unfinished,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    maxSendLagMs,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
