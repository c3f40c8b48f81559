import { describe, expect, it } from "vitest";
import { roundRobinPicker } from "./round-robin.js";

describe("roundRobinPicker", () => {
  const list = ["a:1", "b:1", "c:1"];

  it("cycles through the list in order", () => {
    const pick = roundRobinPicker();
    expect(Array.from({ length: 7 }, () => pick(list, "k"))).toEqual(["a:1", "b:1", "c:1", "a:1", "b:1", "c:1", "a:1"]);
  });

  it("keeps one counter per key", () => {
    const pick = roundRobinPicker();
    expect(pick(list, "x")).toBe("a:1");
    expect(pick(list, "x")).toBe("b:1");
    expect(pick(list, "y")).toBe("a:1");
    expect(pick(list, "x")).toBe("c:1");
  });

  it("keeps counters of separate pickers apart", () => {
    const one = roundRobinPicker();
    const two = roundRobinPicker();
    one(list, "k");
    expect(two(list, "k")).toBe("a:1");
  });

  it("stays within a list that shrank", () => {
    const pick = roundRobinPicker();
    pick(list, "k");
    pick(list, "k");
    expect(pick(["a:1", "b:1"], "k")).toBe("a:1");
    expect(pick(["a:1", "b:1"], "k")).toBe("b:1");
  });

  it("refuses an empty list rather than return a non-address", () => {
    expect(() => roundRobinPicker()([], "k")).toThrow(RangeError);
  });
});
