import type { Metadata } from "../model/metadata.js";

/** The trace entries both metadata converters capture instead of copying (spec §2.7.2, §2.7.3). */
export interface CapturedTrace {
  traceparent?: string;
  tracestate?: string;
  grpcTraceBin?: string;
}

/**
 * Records `value` if `lowerKey` is a trace key and reports whether it was one. The first value
 * of the first entry wins (daprd reads `Values[0]`; its map has one entry per key).
 */
export function captureTraceKey(captured: CapturedTrace, lowerKey: string, value: string): boolean {
  switch (lowerKey) {
    case "traceparent":
      captured.traceparent ??= value;
      return true;
    case "tracestate":
      captured.tracestate ??= value;
      return true;
    case "grpc-trace-bin":
      captured.grpcTraceBin ??= value;
      return true;
    default:
      return false;
  }
}

/**
 * True if the metadata came from a gRPC request (spec §2.7.2): the key spelled exactly
 * `content-type` (gRPC keys are lower-case; an HTTP origin has `Content-Type`) has a first value
 * starting with `application/grpc`.
 */
export function isGrpcOrigin(md: Metadata): boolean {
  for (const [key, values] of md) {
    if (key === "content-type") return values[0]?.startsWith("application/grpc") ?? false;
  }
  return false;
}
