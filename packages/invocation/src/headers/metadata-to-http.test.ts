import { describe, expect, it } from "vitest";
import { Metadata } from "../model/metadata.js";
import type { MetadataInit } from "../model/metadata.js";
import type { SpanContext } from "./trace-context.js";
import { httpHeadersFromMetadata } from "./metadata-to-http.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const TRACE_BIN_BASE64 = "AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE=";
const CURRENT = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 0 };
const CURRENT_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

const convert = (init: MetadataInit, currentSpan?: SpanContext) =>
  httpHeadersFromMetadata(new Metadata(init), currentSpan ? { currentSpan } : undefined);

describe("httpHeadersFromMetadata (spec §2.7.2)", () => {
  it.each<[string, MetadataInit, [string, string][]]>([
    [
      "passes ordinary headers with all values",
      { "X-Custom": ["a", "b"], Accept: "*/*" },
      [["X-Custom", "a"], ["X-Custom", "b"], ["Accept", "*/*"]],
    ],
    [
      "emits Go-canonical names",
      { "x-custom": "1", "dapr-caller-app-id": "a", "X-FORWARDED-FOR": "ip" },
      [["X-Custom", "1"], ["Dapr-Caller-App-Id", "a"], ["X-Forwarded-For", "ip"]],
    ],
    ["skips entries without values", { "X-Empty": [], "X-Full": "1" }, [["X-Full", "1"]]],
    [
      "drops destination-app-id in any casing",
      { "destination-app-id": "b", "Destination-App-Id": "b", x: "1" },
      [["X", "1"]],
    ],
    ["sets baggage from its first value", { baggage: ["k=v", "k2=v2"] }, [["Baggage", "k=v"]]],
    ["sets baggage once across casings", { Baggage: "a=1", baggage: "b=2" }, [["Baggage", "a=1"]]],
    ["drops -bin keys", { "x-data-bin": "AAE=", "X-Other-Bin": "AAE=", "grpc-status-details-bin": "AAE=" }, []],
    [
      "drops content-type and content-length",
      { "Content-Type": "text/plain", "content-length": "5", "CONTENT-TYPE": "x" },
      [],
    ],
    [
      "drops hop-by-hop headers",
      {
        Connection: "close", "Keep-Alive": "5", "Proxy-Connection": "x", "Transfer-Encoding": "chunked", Upgrade: "h2c",
        "HTTP2-Settings": "AAA", TE: "trailers", Trailer: "X-Sum", "Proxy-Authorization": "Basic a", "Proxy-Authenticate": "Basic", "X-Kept": "1",
      },
      [["X-Kept", "1"]],
    ],
    [
      "drops Connection-nominated headers",
      { Connection: ["X-A, x-b", "X-C"], "X-A": "1", "x-b": "2", "X-C": "3", "X-D": "4" },
      [["X-D", "4"]],
    ],
    [
      "baggage survives a Connection nomination (table order)",
      { Connection: "baggage", baggage: "k=v" },
      [["Baggage", "k=v"]],
    ],
    [
      "renames gRPC pseudo-headers",
      { ":method": "POST", ":scheme": "http", ":path": "/svc/M", ":authority": "host:1" },
      [["Dapr-Method", "POST"], ["Dapr-Scheme", "http"], ["Dapr-Path", "/svc/M"], ["Dapr-Authority", "host:1"]],
    ],
    ["drops other pseudo-headers (not a valid HTTP name)", { ":status": "200", ":protocol": "x" }, []],
    [
      "prefixes grpc-* keys",
      { "grpc-timeout": "5S", "grpc-accept-encoding": ["gzip", "identity"], "Grpc-Encoding": "gzip" },
      [["Dapr-Grpc-Timeout", "5S"], ["Dapr-Grpc-Accept-Encoding", "gzip"], ["Dapr-Grpc-Accept-Encoding", "identity"], ["Dapr-Grpc-Encoding", "gzip"]],
    ],
    [
      "drops dapr-api-token in every casing",
      { "dapr-api-token": "s", "Dapr-Api-Token": "s", "DAPR-API-TOKEN": "s" },
      [],
    ],
    [
      "keeps identity stamps (the app reads them)",
      { "dapr-callee-app-id": "b", "dapr-caller-namespace": "ns" },
      [["Dapr-Callee-App-Id", "b"], ["Dapr-Caller-Namespace", "ns"]],
    ],
    [
      "drops values Node would refuse",
      { "X-Bad": ["ok", "a\r\nInjected: 1", "nul\u0000", "wide\u0100"], "X-Latin1": "caf\u00e9" },
      [["X-Bad", "ok"], ["X-Latin1", "caf\u00e9"]],
    ],
    ["drops names that are not tokens", { "bad name": "1", "x(y)": "2", "ok": "3" }, [["Ok", "3"]]],
    [
      "user-agent and authorization pass",
      { "User-Agent": "curl", Authorization: "Bearer t" },
      [["User-Agent", "curl"], ["Authorization", "Bearer t"]],
    ],
  ])("%s", (_name, init, expected) => {
    expect(convert(init)).toEqual(expected);
  });

  describe("trace, HTTP origin", () => {
    it.each<[string, MetadataInit, SpanContext | undefined, [string, string][]]>([
      [
        "passes traceparent and tracestate through, last",
        { traceparent: TRACEPARENT, "X-A": "1", tracestate: "a=1" },
        CURRENT,
        [["X-A", "1"], ["Traceparent", TRACEPARENT], ["Tracestate", "a=1"]],
      ],
      [
        "passes them verbatim, unvalidated",
        { Traceparent: "garbage", Tracestate: "not valid ===" },
        undefined,
        [["Traceparent", "garbage"], ["Tracestate", "not valid ==="]],
      ],
      [
        "omits an empty tracestate",
        { traceparent: TRACEPARENT, tracestate: "" },
        undefined,
        [["Traceparent", TRACEPARENT]],
      ],
      [
        "uses the first value",
        { traceparent: [TRACEPARENT, CURRENT_TRACEPARENT] },
        undefined,
        [["Traceparent", TRACEPARENT]],
      ],
      [
        "ignores a tracestate without traceparent, falls back to the current span",
        { tracestate: "a=1" },
        CURRENT,
        [["Traceparent", CURRENT_TRACEPARENT]],
      ],
      [
        "falls back to the current span with its tracestate",
        {},
        { ...CURRENT, traceState: "cur=1" },
        [["Traceparent", CURRENT_TRACEPARENT], ["Tracestate", "cur=1"]],
      ],
      ["an empty traceparent counts as absent", { traceparent: "" }, CURRENT, [["Traceparent", CURRENT_TRACEPARENT]]],
      ["emits nothing without any context", { "X-A": "1" }, undefined, [["X-A", "1"]]],
      ["never forwards grpc-trace-bin", { "grpc-trace-bin": TRACE_BIN_BASE64 }, undefined, []],
    ])("%s", (_name, init, current, expected) => {
      expect(convert(init, current)).toEqual(expected);
    });
  });

  describe("trace, gRPC origin (content-type application/grpc)", () => {
    const grpc = { "content-type": "application/grpc" };
    it.each<[string, MetadataInit, SpanContext | undefined, [string, string][]]>([
      [
        "decodes grpc-trace-bin into traceparent",
        { ...grpc, "grpc-trace-bin": TRACE_BIN_BASE64 },
        CURRENT,
        [["Traceparent", TRACEPARENT]],
      ],
      [
        "ignores a text traceparent",
        { ...grpc, traceparent: CURRENT_TRACEPARENT, "grpc-trace-bin": TRACE_BIN_BASE64 },
        undefined,
        [["Traceparent", TRACEPARENT]],
      ],
      [
        "also for application/grpc+proto",
        { "content-type": "application/grpc+proto", "grpc-trace-bin": TRACE_BIN_BASE64 },
        undefined,
        [["Traceparent", TRACEPARENT]],
      ],
      [
        "falls back to the current span without grpc-trace-bin",
        { ...grpc, traceparent: TRACEPARENT },
        CURRENT,
        [["Traceparent", CURRENT_TRACEPARENT]],
      ],
      [
        "falls back on invalid base64",
        { ...grpc, "grpc-trace-bin": "not base64!" },
        CURRENT,
        [["Traceparent", CURRENT_TRACEPARENT]],
      ],
      [
        "falls back on an undecodable binary",
        { ...grpc, "grpc-trace-bin": "AQ==" },
        CURRENT,
        [["Traceparent", CURRENT_TRACEPARENT]],
      ],
      [
        "falls back on a binary without span id",
        { ...grpc, "grpc-trace-bin": "AABL+S81d7NNpqPOkp0ODkc2" },
        CURRENT,
        [["Traceparent", CURRENT_TRACEPARENT]],
      ],
      ["emits nothing with neither", { ...grpc }, undefined, []],
    ])("%s", (_name, init, current, expected) => {
      expect(convert(init, current)).toEqual(expected);
    });

    it.each<[string, MetadataInit]>([
      [
        "canonical Content-Type is HTTP origin",
        { "Content-Type": "application/grpc", traceparent: CURRENT_TRACEPARENT, "grpc-trace-bin": TRACE_BIN_BASE64 },
      ],
      [
        "a non-gRPC content type is HTTP origin",
        { "content-type": "application/json", traceparent: CURRENT_TRACEPARENT, "grpc-trace-bin": TRACE_BIN_BASE64 },
      ],
      [
        "only the first value counts",
        { "content-type": ["text/plain", "application/grpc"], traceparent: CURRENT_TRACEPARENT, "grpc-trace-bin": TRACE_BIN_BASE64 },
      ],
    ])("%s", (_name, init) => {
      expect(convert(init)).toEqual([["Traceparent", CURRENT_TRACEPARENT]]);
    });
  });

  it("does not modify its input", () => {
    const md = new Metadata({ "dapr-api-token": "s", "destination-app-id": "b", traceparent: TRACEPARENT });
    httpHeadersFromMetadata(md);
    expect(md.toRecord()).toEqual({ "dapr-api-token": ["s"], "destination-app-id": ["b"], traceparent: [TRACEPARENT] });
  });
});
