import { describe, expect, it } from "vitest";
import {
  decodeGrpcTraceBin,
  encodeGrpcTraceBin,
  formatTraceparent,
  GRPC_TRACE_BIN_LENGTH,
  isValidSpanContext,
  parseTraceparent,
  parseTracestate,
  spanContextHeaders,
} from "./trace-context.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
// The same context in OpenCensus binary form (computed independently).
const TRACE_BIN_BASE64 = "AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE=";
const traceBin = (): Uint8Array => new Uint8Array(Buffer.from(TRACE_BIN_BASE64, "base64"));

describe("parseTraceparent", () => {
  it.each([
    [TRACEPARENT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }],
    [`00-${TRACE_ID}-${SPAN_ID}-00`, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 }],
    [`00-${TRACE_ID}-${SPAN_ID}-ff`, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 255 }],
    // a future version may carry more fields; the first four are read
    [`01-${TRACE_ID}-${SPAN_ID}-01`, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }],
    [`cc-${TRACE_ID}-${SPAN_ID}-09-what-the-future-holds`, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 9 }],
  ])("parses %j", (value, expected) => {
    expect(parseTraceparent(value)).toEqual(expected);
  });

  it.each([
    ["", "empty"],
    [`00-${TRACE_ID}-${SPAN_ID}`, "three fields"],
    [`00-${TRACE_ID}-${SPAN_ID}-01-extra`, "version 00 with a fifth field"],
    [`ff-${TRACE_ID}-${SPAN_ID}-01`, "version ff"],
    [`0-${TRACE_ID}-${SPAN_ID}-01`, "short version"],
    [`0g-${TRACE_ID}-${SPAN_ID}-01`, "non-hex version"],
    [`00-${"0".repeat(32)}-${SPAN_ID}-01`, "zero trace id"],
    [`00-${TRACE_ID}-${"0".repeat(16)}-01`, "zero span id"],
    [`00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`, "upper-case trace id"],
    [`00-${TRACE_ID}-${SPAN_ID.toUpperCase()}-01`, "upper-case span id"],
    [`00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`, "short trace id"],
    [`00-${TRACE_ID}a-${SPAN_ID}-01`, "long trace id"],
    [`00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`, "short span id"],
    [`00-${TRACE_ID}-${SPAN_ID}-1`, "short flags"],
    [`00-${TRACE_ID}-${SPAN_ID}-001`, "long flags"],
    [`00-${TRACE_ID}-${SPAN_ID}-0x`, "non-hex flags"],
    [` ${TRACEPARENT}`, "leading space"],
    [`00_${TRACE_ID}_${SPAN_ID}_01`, "wrong separator"],
  ])("rejects %j (%s)", (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("round-trips with formatTraceparent", () => {
    const sc = parseTraceparent(TRACEPARENT)!;
    expect(formatTraceparent(sc)).toBe(TRACEPARENT);
  });
});

describe("formatTraceparent", () => {
  it.each([
    [0, "00"],
    [1, "01"],
    [0x0a, "0a"],
    [0xff, "ff"],
  ])("flags %i → %j", (flags, hex) => {
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: flags })).toBe(`00-${TRACE_ID}-${SPAN_ID}-${hex}`);
  });
});

describe("isValidSpanContext", () => {
  it.each([
    [{ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }, true],
    [{ traceId: TRACE_ID, spanId: "0".repeat(16), traceFlags: 1 }, false],
    [{ traceId: "0".repeat(32), spanId: SPAN_ID, traceFlags: 1 }, false],
    [{ traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID, traceFlags: 1 }, false],
    [{ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 256 }, false],
    [{ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: -1 }, false],
    [{ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1.5 }, false],
  ])("%j → %s", (sc, expected) => {
    expect(isValidSpanContext(sc)).toBe(expected);
  });
});

describe("parseTracestate", () => {
  it.each([
    ["", ""],
    ["   ", ""],
    ["congo=t61rcWkgMzE", "congo=t61rcWkgMzE"],
    ["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"],
    // optional whitespace and empty members are dropped
    [" rojo=1 ,\tcongo=2\t", "rojo=1,congo=2"],
    ["k=v ", "k=v"],
    ["a=1,,b=2,", "a=1,b=2"],
    // multi-tenant keys and the allowed key characters
    ["tenant@vendor=v", "tenant@vendor=v"],
    ["0tenant@v=x", "0tenant@v=x"],
    ["a_b-c*d/e=v", "a_b-c*d/e=v"],
    // values may contain spaces inside, `=` is not allowed in values
    ["k=a b", "k=a b"],
    ["k=!~", "k=!~"],
    [`k=${"x".repeat(256)}`, `k=${"x".repeat(256)}`],
    [Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(","), Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(",")],
  ])("accepts %j", (value, expected) => {
    expect(parseTracestate(value)).toBe(expected);
  });

  it.each([
    ["novalue", "no ="],
    ["k=", "empty value"],
    ["K=v", "upper-case key"],
    ["1k=v", "simple key starting with a digit"],
    ["k=a=b", "= in value"],
    ["k=a,b", "member without ="],
    ["k=v,k=w", "duplicate key"],
    ["@v=x", "empty tenant"],
    ["t@=x", "empty system id"],
    ["t@1v=x", "system id starting with a digit"],
    [`k=${"x".repeat(257)}`, "value too long"],
    [`${"k".repeat(257)}=v`, "key too long"],
    ["k=v\u00e9", "non-ASCII value"],
    [Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(","), "33 members"],
  ])("rejects %j (%s)", (value) => {
    expect(parseTracestate(value)).toBeUndefined();
  });
});

describe("spanContextHeaders", () => {
  const sc = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 };
  it.each([
    [undefined, []],
    [{ ...sc, spanId: "0".repeat(16) }, []],
    [sc, [["traceparent", TRACEPARENT]]],
    [{ ...sc, traceState: "" }, [["traceparent", TRACEPARENT]]],
    [{ ...sc, traceState: "a=1" }, [["traceparent", TRACEPARENT], ["tracestate", "a=1"]]],
    [{ ...sc, traceState: `a=${"x".repeat(510)}` }, [["traceparent", TRACEPARENT], ["tracestate", `a=${"x".repeat(510)}`]]],
    // over daprd's 512-character limit: traceparent only
    [{ ...sc, traceState: `a=${"x".repeat(511)}` }, [["traceparent", TRACEPARENT]]],
  ])("%j", (input, expected) => {
    expect(spanContextHeaders(input)).toEqual(expected);
  });
});

describe("grpc-trace-bin", () => {
  it("encodes the 29-byte OpenCensus layout", () => {
    const bytes = encodeGrpcTraceBin({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(bytes.length).toBe(GRPC_TRACE_BIN_LENGTH);
    expect(Buffer.from(bytes).toString("base64")).toBe(TRACE_BIN_BASE64);
    expect([bytes[0], bytes[1], bytes[18], bytes[27], bytes[28]]).toEqual([0, 0, 1, 2, 1]);
  });

  it("decodes the full form", () => {
    expect(decodeGrpcTraceBin(traceBin())).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  });

  it.each([
    ["trace id only", [0, 0, ...Buffer.from(TRACE_ID, "hex")], { spanId: "0".repeat(16), traceFlags: 0 }],
    ["no flags", [0, 0, ...Buffer.from(TRACE_ID, "hex"), 1, ...Buffer.from(SPAN_ID, "hex")], { spanId: SPAN_ID, traceFlags: 0 }],
    ["flags without span", [0, 0, ...Buffer.from(TRACE_ID, "hex"), 2, 1], { spanId: "0".repeat(16), traceFlags: 1 }],
    ["truncated span field", [0, 0, ...Buffer.from(TRACE_ID, "hex"), 1, 0xaa, 0xbb], { spanId: "0".repeat(16), traceFlags: 0 }],
    ["truncated flags field", [0, 0, ...Buffer.from(TRACE_ID, "hex"), 1, ...Buffer.from(SPAN_ID, "hex"), 2], { spanId: SPAN_ID, traceFlags: 0 }],
    ["trailing bytes", [...traceBin(), 9, 9, 9], { spanId: SPAN_ID, traceFlags: 1 }],
  ])("accepts %s", (_name, bytes, expected) => {
    expect(decodeGrpcTraceBin(Uint8Array.from(bytes))).toEqual({ traceId: TRACE_ID, ...expected });
  });

  it.each([
    ["empty", []],
    ["version 1", [1, ...traceBin().subarray(1)]],
    ["missing trace id field", [0, 1, ...Buffer.from(SPAN_ID, "hex")]],
    ["short trace id", [0, 0, ...Buffer.from(TRACE_ID, "hex").subarray(0, 15)]],
    ["version only", [0]],
  ])("rejects %s", (_name, bytes) => {
    expect(decodeGrpcTraceBin(Uint8Array.from(bytes))).toBeUndefined();
  });

  it("round-trips", () => {
    const sc = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 0 };
    expect(decodeGrpcTraceBin(encodeGrpcTraceBin(sc))).toEqual(sc);
  });
});
