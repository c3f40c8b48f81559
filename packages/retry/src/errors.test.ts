import { describe, expect, it } from "vitest";
import { ErrorCode, isAbortError, RetriesExhaustedError, TimeoutError } from "./errors.js";

describe("errors", () => {
  it("RetriesExhaustedError keeps the cause and counts", () => {
    const cause = new Error("connection refused");
    const e = new RetriesExhaustedError(3, cause);
    expect(e).toBeInstanceOf(Error);
    expect(e.cause).toBe(cause);
    expect([e.retries, e.attempts]).toEqual([3, 4]);
    expect(e.code).toBe(ErrorCode.RetriesExhausted);
    expect(String(e)).toBe("RetriesExhaustedError: after 3 retries: connection refused");
  });

  it("RetriesExhaustedError describes a non-Error cause without throwing", () => {
    expect(new RetriesExhaustedError(1, "plain text").message).toBe("after 1 retries: plain text");
    expect(new RetriesExhaustedError(1, { status: 503 }).message).toBe("after 1 retries: [object Object]");
    expect(new RetriesExhaustedError(1, Object.create(null)).message).toBe("after 1 retries: [object Object]");
  });

  it("TimeoutError uses Go's context wording", () => {
    const e = new TimeoutError(250);
    expect(String(e)).toBe("TimeoutError: context deadline exceeded");
    expect(e.timeoutMs).toBe(250);
    expect(e.code).toBe("COURIER_TIMEOUT");
  });

  it("isAbortError recognises a reasonless abort and nothing else", () => {
    const ac = new AbortController();
    ac.abort();
    expect(isAbortError(ac.signal.reason)).toBe(true);
    expect(isAbortError(Object.assign(new Error("x"), { name: "AbortError" }))).toBe(true);
    for (const other of [new Error("x"), new TimeoutError(1), AbortSignal.abort("why").reason, null, undefined, "AbortError"]) {
      expect(isAbortError(other)).toBe(false);
    }
  });
});
