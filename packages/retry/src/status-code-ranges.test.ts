import { describe, expect, it } from "vitest";
import { InvalidStatusCodesError } from "./errors.js";
import { GRPC_STATUS_CODE_BOUNDS as GRPC, HTTP_STATUS_CODE_BOUNDS as HTTP, parseStatusCodeRanges } from "./status-code-ranges.js";

function matching(predicate: (code: number) => boolean, codes: number[]): number[] {
  return codes.filter(predicate);
}

function parseError(input: string, bounds = HTTP): InvalidStatusCodesError {
  try {
    parseStatusCodeRanges(input, bounds);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidStatusCodesError);
    return error as InvalidStatusCodesError;
  }
  throw new Error(`expected "${input}" to be rejected`);
}

describe("parseStatusCodeRanges", () => {
  it("has Dapr's bounds for HTTP and gRPC (spec §5.1)", () => {
    expect(HTTP).toEqual({ min: 100, max: 599 });
    expect(GRPC).toEqual({ min: 0, max: 16 });
  });

  it("matches single codes and inclusive ranges", () => {
    const p = parseStatusCodeRanges("429,500-599", HTTP);
    expect(matching(p, [100, 200, 428, 429, 430, 499, 500, 503, 599, 600])).toEqual([429, 500, 503, 599]);
  });

  it("matches Dapr's own test cases", () => {
    const http = parseStatusCodeRanges("200,201,202,203,204,300-309,400,500,505-509", HTTP);
    expect([200, 204, 300, 310, 400, 500, 509].map(http)).toEqual([true, true, true, false, true, true, true]);
    const grpc = parseStatusCodeRanges("2,8-10,11,13-15", GRPC);
    expect([2, 3, 4, 5, 6, 10, 11, 12, 13].map(grpc)).toEqual([true, false, false, false, false, true, true, false, true]);
  });

  it("accepts a single-code range A-A", () => {
    expect(matching(parseStatusCodeRanges("14-14", GRPC), [13, 14, 15])).toEqual([14]);
  });

  it("ignores empty items and whitespace", () => {
    const p = parseStatusCodeRanges(",429,, 502 - 504 ,", HTTP);
    expect(matching(p, [429, 501, 502, 504, 505])).toEqual([429, 502, 504]);
  });

  it("treats an empty list as every code within the bounds (spec §5.5: empty means retry all)", () => {
    for (const input of ["", ",", " , ,"]) {
      const p = parseStatusCodeRanges(input, HTTP);
      expect(matching(p, [0, 14, 99, 100, 404, 599, 600])).toEqual([100, 404, 599]);
    }
  });

  it("never matches a code outside the bounds, so http || grpc is Dapr's whole matching rule", () => {
    const http = parseStatusCodeRanges("500-599", HTTP);
    const grpc = parseStatusCodeRanges("", GRPC);
    const retried = (code: number) => http(code) || grpc(code);
    expect(matching(retried, [0, 14, 16, 17, 99, 101, 200, 503, 600, 1000, -1])).toEqual([0, 14, 16, 503]);
  });

  describe("errors", () => {
    it("rejects a code above the bounds", () => {
      const e = parseError("429,600");
      expect(e.code).toBe("COURIER_INVALID_STATUS_CODES");
      expect(e.name).toBe("InvalidStatusCodesError");
      expect(e.item).toBe("600");
      expect(e.input).toBe("429,600");
      expect(e.message).toBe('invalid status code pattern "600" in "429,600": 600 is outside 100-599');
    });

    it("rejects a code below the bounds, and a range end outside them", () => {
      expect(parseError("99").message).toContain("99 is outside 100-599");
      expect(parseError("500-600").message).toContain("600 is outside 100-599");
      expect(parseError("1-17", GRPC).message).toContain("17 is outside 0-16");
    });

    it("rejects a range whose start is greater than its end", () => {
      const e = parseError("599-500");
      expect(e.item).toBe("599-500");
      expect(e.message).toContain("range start 599 is greater than its end 500");
    });

    it.each(["abc", "1-2-3", "-5", "5-", "4.5", "+429", "0x1F4", "4 29", "500–599"])("rejects malformed item %j", (item) => {
      const e = parseError(`429,${item}`, { min: 0, max: 1000 });
      expect(e.item).toBe(item);
      expect(e.message).toContain("expected a code N or a range A-B");
    });

    it.each([
      [{ min: 10, max: 5 }],
      [{ min: 1.5, max: 5 }],
      [{ min: 0, max: Number.POSITIVE_INFINITY }],
    ])("rejects invalid bounds %j as a programming error", (bounds) => {
      expect(() => parseStatusCodeRanges("1", bounds)).toThrow(RangeError);
    });
  });
});
