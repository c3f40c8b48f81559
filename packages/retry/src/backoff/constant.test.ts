import { describe, expect, it } from "vitest";
import { ConstantBackoff } from "./constant.js";

describe("ConstantBackoff", () => {
  it("gives the same wait every time and never stops", () => {
    const seq = new ConstantBackoff(1000).start();
    const waits = Array.from({ length: 1000 }, () => seq.next());
    expect(new Set(waits)).toEqual(new Set([1000]));
  });

  it("allows a zero interval", () => {
    expect(new ConstantBackoff(0).start().next()).toBe(0);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects interval %s", (ms) => {
    expect(() => new ConstantBackoff(ms)).toThrow(RangeError);
  });

  it("exposes its interval", () => {
    expect(new ConstantBackoff(250).intervalMs).toBe(250);
  });
});
