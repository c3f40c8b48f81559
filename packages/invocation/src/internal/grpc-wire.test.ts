import { describe, expect, it } from "vitest";
import { GrpcCode } from "../errors.js";
import { decodeGrpcMessage, encodeGrpcMessage, encodeGrpcTimeout, grpcCodeFromTransportStatus, parseGrpcTimeout } from "./grpc-wire.js";

const NOW = 1_700_000_000_000;
/** gRPC over HTTP/2: TimeoutValue is 1–8 ASCII digits, TimeoutUnit one of H M S m u n. */
const TIMEOUT_SYNTAX = /^\d{1,8}[HMSmun]$/;

describe("encodeGrpcTimeout", () => {
  it.each([
    [1, "1m"],
    [250, "250m"],
    [1500, "1500m"],
    [60_000, "60000m"],
    [99_999_999, "99999999m"],
  ])("%i ms ahead → %s", (ms, header) => {
    expect(encodeGrpcTimeout(NOW + ms, NOW)).toBe(header);
  });

  it("rounds a fractional remainder up, so the callee never gets less time than the caller", () => {
    expect(encodeGrpcTimeout(NOW + 0.2, NOW)).toBe("1m");
    expect(encodeGrpcTimeout(NOW + 10.01, NOW)).toBe("11m");
  });

  it("sends 1m for a deadline that is now or already past (the callee fails it at once)", () => {
    expect(encodeGrpcTimeout(NOW, NOW)).toBe("1m");
    expect(encodeGrpcTimeout(NOW - 5000, NOW)).toBe("1m");
  });

  it("switches to seconds when milliseconds need more than 8 digits", () => {
    expect(encodeGrpcTimeout(NOW + 100_000_000, NOW)).toBe("100000S");
    expect(encodeGrpcTimeout(NOW + 100_000_001, NOW)).toBe("100001S");
  });

  it("switches to hours past 8 digits of seconds, and caps at 99999999H", () => {
    expect(encodeGrpcTimeout(NOW + 1e11, NOW)).toBe(`${Math.ceil(1e8 / 3600)}H`);
    expect(encodeGrpcTimeout(Number.MAX_SAFE_INTEGER, 0)).toBe("99999999H");
  });

  it("always produces a value inside the grammar", () => {
    for (const ms of [-1, 0, 0.5, 1, 999, 1e3, 1e6, 99_999_999.5, 1e8, 1e9, 1e11, 1e12, 1e15, 1e18]) {
      expect(encodeGrpcTimeout(NOW + ms, NOW), String(ms)).toMatch(TIMEOUT_SYNTAX);
    }
  });

  it("uses the clock when no `now` is given", () => {
    const header = encodeGrpcTimeout(Date.now() + 5000);
    const ms = Number(header.slice(0, -1));
    expect(header.endsWith("m")).toBe(true);
    expect(ms).toBeGreaterThan(4900);
    expect(ms).toBeLessThanOrEqual(5000);
  });
});

describe("parseGrpcTimeout", () => {
  it.each([
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["250m", 250],
    ["0m", 0],
    ["5000u", 5],
    ["7000000n", 7],
    ["99999999m", 99_999_999],
    ["99999999H", 99_999_999 * 3_600_000],
    ["00000010S", 10_000],
  ])("%s → %i ms", (value, ms) => {
    expect(parseGrpcTimeout(value)).toBeCloseTo(ms, 9);
  });

  it("keeps sub-millisecond precision for u and n", () => {
    expect(parseGrpcTimeout("1u")).toBeCloseTo(0.001, 12);
    expect(parseGrpcTimeout("1500n")).toBeCloseTo(0.0015, 12);
  });

  it("takes the first value of a repeated header", () => {
    expect(parseGrpcTimeout(["2S", "5S"])).toBe(2000);
  });

  it("is undefined when absent", () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout("")).toBeUndefined();
    expect(parseGrpcTimeout([])).toBeUndefined();
  });

  it.each([
    "123456789m", // 9 digits
    "10", // no unit
    "m",
    "-1m",
    "+1m",
    "1.5S",
    " 1m",
    "1m ",
    "1ms",
    "1h", // units are case-sensitive: h is not H
    "1s",
    "1x",
    "1 S",
    "0x10m",
    "1e3m",
    "１m", // full-width digit
  ])("rejects malformed %j", (value) => {
    expect(parseGrpcTimeout(value)).toBeUndefined();
  });

  it("round-trips encode → parse to the same or a slightly longer timeout", () => {
    for (const ms of [1, 2, 17, 999, 1000, 1001, 59_999, 3_600_000, 99_999_999, 100_000_000, 123_456_789_012, 99_999_999 * 3_600_000]) {
      const parsed = parseGrpcTimeout(encodeGrpcTimeout(NOW + ms, NOW))!;
      expect(parsed, String(ms)).toBeGreaterThanOrEqual(ms);
      // Coarser units only ever round up by less than one unit.
      const unit = ms < 1e8 ? 1 : ms < 1e11 ? 1000 : 3_600_000;
      expect(parsed - ms, String(ms)).toBeLessThan(unit);
    }
  });
});

describe("grpcCodeFromTransportStatus (gRPC's HTTP → status mapping)", () => {
  it.each([
    [400, GrpcCode.Internal],
    [401, GrpcCode.Unauthenticated],
    [403, GrpcCode.PermissionDenied],
    [404, GrpcCode.Unimplemented],
    [429, GrpcCode.Unavailable],
    [502, GrpcCode.Unavailable],
    [503, GrpcCode.Unavailable],
    [504, GrpcCode.Unavailable],
    [415, GrpcCode.Unknown],
    [500, GrpcCode.Unknown],
    [200, GrpcCode.Unknown],
    [0, GrpcCode.Unknown],
  ])("HTTP %i → gRPC %i", (status, code) => {
    expect(grpcCodeFromTransportStatus(status)).toBe(code);
  });
});

describe("grpc-message encoding", () => {
  it("leaves printable ASCII except % untouched", () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== "%")
      .join("");
    expect(encodeGrpcMessage(printable)).toBe(printable);
  });

  it("percent-encodes %", () => {
    expect(encodeGrpcMessage("100% done")).toBe("100%25 done");
    expect(encodeGrpcMessage("%41")).toBe("%2541");
  });

  it("percent-encodes control characters and DEL", () => {
    expect(encodeGrpcMessage("a\nb\r\tc\0\x7f")).toBe("a%0Ab%0D%09c%00%7F");
  });

  it("percent-encodes non-ASCII as UTF-8 bytes with upper-case hex", () => {
    expect(encodeGrpcMessage("é")).toBe("%C3%A9");
    expect(encodeGrpcMessage("日本")).toBe("%E6%97%A5%E6%9C%AC");
    expect(encodeGrpcMessage("🚀")).toBe("%F0%9F%9A%80");
  });

  it("produces only header-safe characters", () => {
    const nasty = "error invoking app channel: ünïcödé 100%\r\nX-Injected: 1 🚀\u2028\0";
    expect(encodeGrpcMessage(nasty)).toMatch(/^[\x20-\x7e]*$/);
    expect(encodeGrpcMessage(nasty)).not.toMatch(/[\r\n]/);
  });

  it("round-trips through decodeGrpcMessage", () => {
    for (const s of ["", "plain", "100%", "%%%", "%25", "é日本🚀", "a\nb", "invalid method: \"a?b\"", "tab\there", "%C3%A9 literal"]) {
      expect(decodeGrpcMessage(encodeGrpcMessage(s)), s).toBe(s);
    }
  });

  it("decodes what other implementations send", () => {
    // grpc-go percent-encodes the same set; lower-case hex is legal too.
    expect(decodeGrpcMessage("caf%C3%A9")).toBe("café");
    expect(decodeGrpcMessage("caf%c3%a9")).toBe("café");
    expect(decodeGrpcMessage("a+b")).toBe("a+b");
  });

  it("keeps the raw text when it is not valid percent-encoding, instead of throwing it away", () => {
    expect(decodeGrpcMessage("100% sure")).toBe("100% sure");
    expect(decodeGrpcMessage("%ZZ")).toBe("%ZZ");
    expect(decodeGrpcMessage("%C3")).toBe("%C3");
  });

  it("is empty when absent and takes the first of repeated values", () => {
    expect(decodeGrpcMessage(undefined)).toBe("");
    expect(decodeGrpcMessage("")).toBe("");
    expect(decodeGrpcMessage(["first%20one", "second"])).toBe("first one");
  });
});
