import { describe, expect, it } from "vitest";
import { Metadata } from "../model/metadata.js";
import type { MetadataInit } from "../model/metadata.js";
import type { SpanContext } from "./trace-context.js";
import type { GrpcMetadataValue } from "./metadata-to-grpc.js";
import { grpcMetadataFromMetadata, metadataFromGrpcMetadata, PERMANENT_REQUEST_HEADERS } from "./metadata-to-grpc.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const TRACE_BIN_BASE64 = "AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE=";
const CURRENT = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 0 };
const CURRENT_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
// CURRENT in OpenCensus binary form (computed independently).
const CURRENT_BIN_BASE64 = "AAAK92UZFs1D3YRI6yEcgDGcAbeta3FpIDMxAgA=";

/** Bytes shown as base64 so expectations read as text. */
const show = (pairs: [string, GrpcMetadataValue][]) =>
  pairs.map(([k, v]) => [k, typeof v === "string" ? v : `bin:${Buffer.from(v).toString("base64")}`]);

const convert = (init: MetadataInit, httpHeaderConversion: boolean, currentSpan?: SpanContext) =>
  show(grpcMetadataFromMetadata(new Metadata(init), { httpHeaderConversion, ...(currentSpan ? { currentSpan } : {}) }));

describe("grpcMetadataFromMetadata (spec §2.7.3)", () => {
  it.each<[string, MetadataInit, string[][]]>([
    [
      "lower-cases keys, keeps all values",
      { "X-Custom": ["a", "b"], "dapr-caller-app-id": "a" },
      [["x-custom", "a"], ["x-custom", "b"], ["dapr-caller-app-id", "a"]],
    ],
    ["skips entries without values", { "x-empty": [], "x-full": "1" }, [["x-full", "1"]]],
    [
      "drops destination-app-id and dapr-api-token",
      { "destination-app-id": "b", "Dapr-Api-Token": "s", "dapr-api-token": "s" },
      [],
    ],
    ["drops pseudo-headers", { ":authority": "caller:1", ":path": "/x", ":method": "POST", ":scheme": "http" }, []],
    [
      "drops transport-owned keys",
      { "content-type": "application/grpc", te: "trailers", "user-agent": "grpc-go/1" },
      [],
    ],
    [
      "drops grpc-* keys",
      { "grpc-timeout": "1S", "grpc-encoding": "gzip", "grpc-accept-encoding": "gzip", "grpc-status-details-bin": "AAE=" },
      [],
    ],
    [
      "drops HTTP/2 connection-specific keys",
      { connection: "close", "keep-alive": "5", "proxy-connection": "x", "transfer-encoding": "chunked", upgrade: "h2c", "http2-settings": "A", host: "h" },
      [],
    ],
    [
      "decodes -bin values",
      { "x-data-bin": ["AAE=", "/w=="] },
      [["x-data-bin", "bin:AAE="], ["x-data-bin", "bin:/w=="]],
    ],
    ["skips invalid base64 -bin values only", { "x-data-bin": ["AAE", "AAE=", "!!!!"] }, [["x-data-bin", "bin:AAE="]]],
    ["sends a canonical -Bin key's text as bytes", { "X-Data-Bin": "hi" }, [["x-data-bin", "bin:aGk="]]],
    [
      "drops text values grpc-js refuses",
      { "x-v": ["ok", "caf\u00e9", "tab\there", "nl\n"], "x-w": "" },
      [["x-v", "ok"], ["x-w", ""]],
    ],
    ["drops keys grpc-js refuses", { "x y": "1", "x/y": "2", "x_y.z-1": "3" }, [["x_y.z-1", "3"]]],
  ])("%s (conversion off)", (_name, init, expected) => {
    expect(convert(init, false)).toEqual(expected);
  });

  describe("HTTP header conversion", () => {
    it.each<[string, MetadataInit, boolean, string[][]]>([
      [
        "prefixes a canonical permanent header",
        { "Content-Type": "application/json", Date: "Tue", Accept: "*/*" },
        true,
        [["dapr-content-type", "application/json"], ["dapr-date", "Tue"], ["dapr-accept", "*/*"]],
      ],
      [
        "prefixes connection-class permanent headers instead of dropping them",
        { Connection: "close", Host: "h:1", "Transfer-Encoding": "chunked", "Content-Length": "3" },
        true,
        [["dapr-connection", "close"], ["dapr-host", "h:1"], ["dapr-transfer-encoding", "chunked"], ["dapr-content-length", "3"]],
      ],
      [
        "matches the exact spelling only",
        { "content-type": "application/grpc", "CONTENT-TYPE": "x", accept: "*/*", "If-none-match": "e" },
        true,
        [["accept", "*/*"], ["if-none-match", "e"]],
      ],
      [
        "leaves non-permanent headers alone",
        { "User-Agent": "curl", "X-Custom": "1", Authorization: "Bearer t" },
        true,
        [["x-custom", "1"], ["authorization", "Bearer t"]],
      ],
      [
        "off: canonical Content-Type is dropped like content-type",
        { "Content-Type": "application/json", Date: "Tue" },
        false,
        [["date", "Tue"]],
      ],
    ])("%s", (_name, init, conversion, expected) => {
      expect(convert(init, conversion)).toEqual(expected);
    });

    it("knows all 28 IANA permanent request headers of the spec", () => {
      expect(PERMANENT_REQUEST_HEADERS.size).toBe(28);
      for (const name of ["Accept-Charset", "If-Schedule-Tag-Match", "Max-Forwards", "Warning", "Via", "Referer"]) {
        expect(PERMANENT_REQUEST_HEADERS.has(name)).toBe(true);
      }
    });
  });

  describe("trace, HTTP origin", () => {
    it.each<[string, MetadataInit, SpanContext | undefined, string[][]]>([
      [
        "builds text headers and grpc-trace-bin from traceparent",
        { Traceparent: TRACEPARENT, Tracestate: "a=1, b=2", "X-A": "1" },
        CURRENT,
        [
          ["x-a", "1"],
          ["traceparent", TRACEPARENT],
          ["tracestate", "a=1,b=2"],
          ["grpc-trace-bin", `bin:${TRACE_BIN_BASE64}`],
        ],
      ],
      [
        "drops an invalid tracestate, keeps the context",
        { traceparent: TRACEPARENT, tracestate: "INVALID" },
        undefined,
        [["traceparent", TRACEPARENT], ["grpc-trace-bin", `bin:${TRACE_BIN_BASE64}`]],
      ],
      [
        "ignores an incoming grpc-trace-bin",
        { traceparent: TRACEPARENT, "grpc-trace-bin": CURRENT_BIN_BASE64 },
        undefined,
        [["traceparent", TRACEPARENT], ["grpc-trace-bin", `bin:${TRACE_BIN_BASE64}`]],
      ],
      [
        "falls back to the current span on an invalid traceparent",
        { traceparent: "00-bad", tracestate: "a=1" },
        CURRENT,
        [["traceparent", CURRENT_TRACEPARENT], ["grpc-trace-bin", `bin:${CURRENT_BIN_BASE64}`]],
      ],
      [
        "falls back to the current span with its tracestate",
        {},
        { ...CURRENT, traceState: "cur=1" },
        [["traceparent", CURRENT_TRACEPARENT], ["tracestate", "cur=1"], ["grpc-trace-bin", `bin:${CURRENT_BIN_BASE64}`]],
      ],
      ["emits nothing without any context", { traceparent: "00-bad" }, undefined, []],
    ])("%s", (_name, init, current, expected) => {
      expect(convert(init, true, current)).toEqual(expected);
    });
  });

  describe("trace, gRPC origin", () => {
    const grpc = { "content-type": "application/grpc" };
    it.each<[string, MetadataInit, SpanContext | undefined, string[][]]>([
      [
        "forwards grpc-trace-bin and sets traceparent",
        { ...grpc, "grpc-trace-bin": TRACE_BIN_BASE64, traceparent: CURRENT_TRACEPARENT },
        CURRENT,
        [["traceparent", TRACEPARENT], ["grpc-trace-bin", `bin:${TRACE_BIN_BASE64}`]],
      ],
      [
        "forwards an unparseable binary as received, without text headers",
        { ...grpc, "grpc-trace-bin": "AQID" },
        CURRENT,
        [["grpc-trace-bin", "bin:AQID"]],
      ],
      ["drops an invalid base64 grpc-trace-bin entirely", { ...grpc, "grpc-trace-bin": "AQI" }, CURRENT, []],
      [
        "uses the current span without grpc-trace-bin",
        { ...grpc, traceparent: TRACEPARENT },
        CURRENT,
        [["traceparent", CURRENT_TRACEPARENT], ["grpc-trace-bin", `bin:${CURRENT_BIN_BASE64}`]],
      ],
      [
        "an empty grpc-trace-bin counts as absent",
        { ...grpc, "grpc-trace-bin": "" },
        CURRENT,
        [["traceparent", CURRENT_TRACEPARENT], ["grpc-trace-bin", `bin:${CURRENT_BIN_BASE64}`]],
      ],
      ["emits nothing with neither", { ...grpc }, undefined, []],
    ])("%s", (_name, init, current, expected) => {
      expect(convert(init, false, current)).toEqual(expected);
    });
  });

  it("does not modify its input", () => {
    const md = new Metadata({ "dapr-api-token": "s", "Content-Type": "x", traceparent: TRACEPARENT });
    grpcMetadataFromMetadata(md, { httpHeaderConversion: true });
    expect(md.toRecord()).toEqual({ "dapr-api-token": ["s"], "Content-Type": ["x"], traceparent: [TRACEPARENT] });
  });
});

describe("metadataFromGrpcMetadata (spec §2.7.1)", () => {
  it.each<[string, [string, string | Uint8Array][], Record<string, string[]>]>([
    [
      "keeps all keys, including transport ones",
      [
        [":authority", "localhost:50001"],
        ["content-type", "application/grpc"],
        ["user-agent", "grpc-node-js/1"],
        ["grpc-accept-encoding", "gzip"],
        ["x-a", "1"],
      ],
      { ":authority": ["localhost:50001"], "content-type": ["application/grpc"], "user-agent": ["grpc-node-js/1"], "grpc-accept-encoding": ["gzip"], "x-a": ["1"] },
    ],
    ["repeats keep order", [["x-a", "1"], ["x-b", "2"], ["x-a", "3"]], { "x-a": ["1", "3"], "x-b": ["2"] }],
    ["lower-cases keys", [["X-A", "1"], ["x-a", "2"]], { "x-a": ["1", "2"] }],
    [
      "stores -bin values as padded standard base64",
      [["x-data-bin", Uint8Array.from([0, 1])], ["x-data-bin", Buffer.from([0xff, 0xfe, 0xfd])]],
      { "x-data-bin": ["AAE=", "//79"] },
    ],
    ["encodes a string -bin value's UTF-8 bytes", [["x-data-bin", "hi"]], { "x-data-bin": ["aGk="] }],
    ["decodes a byte value for a text key as UTF-8", [["x-a", Buffer.from("café")]], { "x-a": ["café"] }],
    ["drops dapr-api-token", [["dapr-api-token", "secret"], ["x-a", "1"]], { "x-a": ["1"] }],
    ["empty", [], {}],
  ])("%s", (_name, entries, expected) => {
    expect(metadataFromGrpcMetadata(entries).toRecord()).toEqual(expected);
  });

  it("round-trips binary metadata through grpcMetadataFromMetadata", () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) % 256);
    const md = metadataFromGrpcMetadata([["x-blob-bin", bytes], ["x-text", "v"]]);
    const out = grpcMetadataFromMetadata(md, { httpHeaderConversion: true });
    expect(out.filter(([k]) => k.startsWith("x-"))).toEqual([["x-blob-bin", bytes], ["x-text", "v"]]);
  });
});
