import { describe, expect, it, vi } from "vitest";
import { createRandomPicker, randomPicker } from "./random.js";

describe("random picker", () => {
  const list = ["a:1", "b:1", "c:1"];

  it("maps [0, 1) uniformly onto the indices", () => {
    const draws = [0, 0.34, 0.67, 0.9999999, 1];
    const pick = createRandomPicker(() => draws.shift()!);
    expect(list.map(() => pick(list, "k")).concat(pick(list, "k"), pick(list, "k"))).toEqual([
      "a:1", "b:1", "c:1", "c:1", "c:1",
    ]);
  });

  it("does not draw for a single address", () => {
    const random = vi.fn(() => 0.5);
    expect(createRandomPicker(random)(["only:1"], "k")).toBe("only:1");
    expect(random).not.toHaveBeenCalled();
  });

  it("refuses an empty list rather than return \"\" like Dapr's Pick", () => {
    expect(() => randomPicker([], "k")).toThrow(RangeError);
  });

  it("uses Math.random by default and spreads picks evenly", () => {
    const spy = vi.spyOn(Math, "random");
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const a = randomPicker(list, "k");
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect(spy).toHaveBeenCalledTimes(3000);
    spy.mockRestore();
    expect([...counts.keys()].sort()).toEqual(list);
    // 3000 draws over 3: σ ≈ 26, so ±200 fails only for a broken picker.
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });
});
