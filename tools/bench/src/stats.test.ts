import { describe, expect, it } from "vitest";
import { areaOf, selfTimes } from "./cpu-profile.js";
import { dueAt, dueBy, isRecorded, openLoopLatency, percentile, summarize, totalRequests } from "./stats.js";

describe("percentile (nearest rank)", () => {
  const one_to_100 = Array.from({ length: 100 }, (_, i) => i + 1);

  it("picks the smallest value with at least p % at or below it", () => {
    expect(percentile(one_to_100, 50)).toBe(50);
    expect(percentile(one_to_100, 90)).toBe(90);
    expect(percentile(one_to_100, 99)).toBe(99);
    expect(percentile(one_to_100, 100)).toBe(100);
    expect(percentile(one_to_100, 0)).toBe(1);
    expect(percentile(one_to_100, 99.5)).toBe(100);
  });

  it("does not drift on floating-point ranks", () => {
    // 0.9 * 10 is 9.000000000000002 in floating point: still rank 9.
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it("handles tiny and empty inputs", () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2], 50)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("summarize sorts numerically, not as strings", () => {
    const s = summarize([10, 9, 100, 2, 1]);
    expect(s).toEqual({ count: 5, p50: 9, p90: 100, p99: 100, max: 100 });
  });

  it("lets abandoned requests (+∞) push the tail up instead of vanishing", () => {
    const values = [...Array.from({ length: 98 }, () => 1), Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    const s = summarize(values);
    expect(s.p50).toBe(1);
    expect(s.p90).toBe(1);
    expect(s.p99).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("open-loop schedule", () => {
  const s = { rate: 1000, durationMs: 12_000, warmupMs: 2_000 };

  it("has one request per 1/rate over the duration", () => {
    expect(totalRequests(s)).toBe(12_000);
    expect(totalRequests({ rate: 3, durationMs: 1000, warmupMs: 0 })).toBe(3);
    expect(totalRequests({ rate: 3, durationMs: 1001, warmupMs: 0 })).toBe(4);
    expect(dueAt(s, 0)).toBe(0);
    expect(dueAt(s, 1500)).toBe(1500);
    expect(dueAt({ rate: 200, durationMs: 1000, warmupMs: 0 }, 3)).toBe(15);
  });

  it("counts the requests due by a time, capped at the total", () => {
    expect(dueBy(s, -1)).toBe(0);
    expect(dueBy(s, 0)).toBe(1);
    expect(dueBy(s, 0.999)).toBe(1);
    expect(dueBy(s, 1)).toBe(2);
    // A late tick catches up with a burst.
    expect(dueBy(s, 57.3)).toBe(58);
    expect(dueBy(s, 1e9)).toBe(12_000);
    // Exact multiples at a rate whose period is not representable.
    const r3 = { rate: 3, durationMs: 10_000, warmupMs: 0 };
    expect(dueBy(r3, dueAt(r3, 7))).toBe(8);
  });

  it("records only requests due at or after the warm-up", () => {
    expect(isRecorded(s, 1999)).toBe(false);
    expect(isRecorded(s, 2000)).toBe(true);
    const n = Array.from({ length: totalRequests(s) }, (_, i) => i).filter((i) => isRecorded(s, i)).length;
    expect(n).toBe(10_000);
  });

  it("measures latency from the scheduled send time, not the actual send", () => {
    // Request 100 is due 100 ms after a start at t=5000; it finished at t=5103: 3 ms, however late it left.
    expect(openLoopLatency(5000, s, 100, 5103)).toBeCloseTo(3, 9);
  });
});

describe("cpu profile self time", () => {
  it("charges each sample the time until the next one and merges call paths", () => {
    const frame = (functionName: string, url = "", lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: "0" });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)") },
        { id: 2, callFrame: frame("(idle)") },
        { id: 3, callFrame: frame("hot", "file:///repo/packages/x/dist/a.js", 9) },
        { id: 4, callFrame: frame("hot", "file:///repo/packages/x/dist/a.js", 9) },
        { id: 5, callFrame: frame("", "node:internal/streams/readable", 0) },
      ],
      startTime: 0,
      endTime: 100,
      samples: [3, 4, 5, 2],
      timeDeltas: [0, 30, 30, 10],
    };
    const s = selfTimes(profile, 10, "/repo");
    expect(s.totalMs).toBeCloseTo(0.1, 9);
    expect(s.idleMs).toBeCloseTo(0.03, 9);
    expect(s.top.map((e) => [e.name, e.location])).toEqual([
      ["hot", "packages/x/dist/a.js:10"],
      ["(anonymous)", "node:internal/streams/readable:1"],
    ]);
    expect(s.top[0]!.selfMs).toBeCloseTo(0.06, 9);
    expect(s.top[0]!.share).toBeCloseTo(6 / 7, 9);
    expect(s.top[1]!.selfMs).toBeCloseTo(0.01, 9);
  });
});

describe("cpu profile areas", () => {
  it("groups by package, workspace package or node module", () => {
    expect(areaOf({ name: "(garbage collector)", location: "" })).toBe("GC");
    expect(areaOf({ name: "writev", location: "" })).toBe("native / V8");
    expect(areaOf({ name: "finish", location: "node_modules/@bufbuild/protobuf/dist/esm/wire/binary-encoding.js:92" })).toBe("@bufbuild/protobuf");
    expect(areaOf({ name: "x", location: "node_modules/undici/lib/api/api-request.js:12" })).toBe("undici");
    expect(areaOf({ name: "x", location: "packages/invocation/dist/internal/grpc-frame.js:4" })).toBe("@courier/invocation");
    expect(areaOf({ name: "request", location: "node:internal/http2/core:1766" })).toBe("node http2");
    expect(areaOf({ name: "emit", location: "node:events:471" })).toBe("node events");
    expect(areaOf({ name: "encode", location: "node:internal/encoding:351" })).toBe("node encoding");
  });
});
