import type { Metadata } from "../model/metadata.js";
import { decodeBase64Std } from "./base64-std.js";
import { canonicalHeaderKey, isHeaderToken } from "./canonical-key.js";
import { connectionNominated, isHopByHopHeader } from "./hop-by-hop.js";
import type { SpanContext } from "./trace-context.js";
import { decodeGrpcTraceBin, isValidSpanContext, spanContextHeaders } from "./trace-context.js";
import { captureTraceKey, isGrpcOrigin } from "./trace-keys.js";
import type { CapturedTrace } from "./trace-keys.js";

export interface MetadataToHttpOptions {
  /**
   * The span to propagate when the metadata carries no usable trace context (daprd falls back to
   * the current span, spec §2.7.2).
   */
  readonly currentSpan?: SpanContext;
}

// gRPC pseudo-headers that survive as information for the app, under a `dapr-` name (spec §2.7.2).
const RENAMED_PSEUDO: ReadonlySet<string> = new Set([":method", ":scheme", ":path", ":authority"]);

/**
 * Metadata as HTTP headers (spec §2.7.2): the callee HTTP app's request headers, and the caller
 * HTTP API's response headers. Returns flat `[name, value]` pairs in metadata order, trace
 * headers last.
 *
 * Names are emitted in Go-canonical form (`Dapr-Caller-App-Id`, `Traceparent`), as daprd's Go
 * `http.Header` writes them, so an app sees the same bytes from Courier as from daprd.
 *
 * Beyond the table: every casing of `dapr-api-token` is dropped. On the app request the HTTP
 * channel sets the app token itself (spec §3.4), and a caller's Dapr API token must never reach
 * an app whatever the auth settings (§4.4, §11 row 3); on an API response it must not echo back.
 * Pairs whose name is not an HTTP token or whose value holds CR, LF, NUL or other bytes Node
 * refuses are dropped (daprd's Go client would fail the whole call on them instead).
 */
export function httpHeadersFromMetadata(md: Metadata, opts: MetadataToHttpOptions = {}): [string, string][] {
  const out: [string, string][] = [];
  const emit = (name: string, value: string): void => {
    if (isHeaderToken(name) && isHeaderValue(value)) out.push([canonicalHeaderKey(name), value]);
  };

  const nominated = connectionNominated(md.getAll("connection"));
  const trace: CapturedTrace = {};
  let baggageSet = false;
  for (const [key, values] of md) {
    if (values.length === 0) continue;
    const lower = key.toLowerCase();
    if (captureTraceKey(trace, lower, values[0]!)) continue;
    if (lower === "destination-app-id" || lower === "dapr-api-token") continue;
    if (lower === "baggage") {
      // "Set" semantics: one Baggage header, from the first value.
      if (!baggageSet) emit(lower, values[0]!);
      baggageSet = true;
      continue;
    }
    if (lower.endsWith("-bin") || lower === "content-type" || lower === "content-length") continue;
    if (isHopByHopHeader(lower) || nominated.has(lower)) continue;
    let name = key;
    if (RENAMED_PSEUDO.has(lower)) name = `dapr-${lower.slice(1)}`;
    else if (lower.startsWith("grpc-")) name = `dapr-${lower}`;
    for (const value of values) emit(name, value);
  }

  for (const [name, value] of traceHeaders(md, trace, opts.currentSpan)) emit(name, value);
  return out;
}

/** spec §2.7.2 "trace re-emission". */
function traceHeaders(md: Metadata, trace: CapturedTrace, currentSpan: SpanContext | undefined): [string, string][] {
  if (isGrpcOrigin(md)) {
    // A gRPC caller's context is the binary header; a bad or missing one yields the current span.
    const bytes = trace.grpcTraceBin === undefined ? undefined : decodeBase64Std(trace.grpcTraceBin);
    const fromBin = bytes === undefined ? undefined : decodeGrpcTraceBin(bytes);
    return spanContextHeaders(fromBin !== undefined && isValidSpanContext(fromBin) ? fromBin : currentSpan);
  }
  // An HTTP caller's traceparent/tracestate pass through verbatim.
  if (trace.traceparent !== undefined && trace.traceparent !== "") {
    const headers: [string, string][] = [["traceparent", trace.traceparent]];
    if (trace.tracestate !== undefined && trace.tracestate !== "") headers.push(["tracestate", trace.tracestate]);
    return headers;
  }
  return spanContextHeaders(currentSpan);
}

// What Node's http module and undici accept in a field value (no CR, LF, NUL, other controls).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function isHeaderValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}
