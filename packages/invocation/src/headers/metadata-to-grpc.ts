import { Metadata } from "../model/metadata.js";
import { decodeBase64Std, encodeBase64Std } from "./base64-std.js";
import type { SpanContext } from "./trace-context.js";
import {
  decodeGrpcTraceBin,
  encodeGrpcTraceBin,
  isValidSpanContext,
  parseTraceparent,
  parseTracestate,
  spanContextHeaders,
} from "./trace-context.js";
import { captureTraceKey, isGrpcOrigin } from "./trace-keys.js";
import type { CapturedTrace } from "./trace-keys.js";

export type GrpcMetadataValue = string | Uint8Array;

export interface MetadataToGrpcOptions {
  /**
   * Prefix the IANA permanent request headers with `dapr-` (spec §2.7.3). On for the gRPC app
   * channel and for InvokeService response headers.
   */
  readonly httpHeaderConversion: boolean;
  /** The span to propagate when the metadata carries no usable trace context (spec §2.7.3). */
  readonly currentSpan?: SpanContext;
}

/**
 * spec §2.7.3: with conversion on, a key spelled exactly like one of these (canonical form,
 * case-sensitive) becomes `dapr-<lower-cased key>`, so an HTTP app's `Content-Type` reaches a
 * gRPC peer as `dapr-content-type`.
 */
export const PERMANENT_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "Accept",
  "Accept-Charset",
  "Accept-Language",
  "Accept-Ranges",
  "Connection",
  "Keep-Alive",
  "Proxy-Connection",
  "Transfer-Encoding",
  "Upgrade",
  "Cache-Control",
  "Content-Type",
  "Content-Length",
  "Cookie",
  "Date",
  "Expect",
  "From",
  "Host",
  "If-Match",
  "If-Modified-Since",
  "If-None-Match",
  "If-Schedule-Tag-Match",
  "If-Unmodified-Since",
  "Max-Forwards",
  "Origin",
  "Pragma",
  "Referer",
  "Via",
  "Warning",
]);

/**
 * Keys the gRPC transport sets itself (`content-type`, `te`, `user-agent`; spec §2.7.3 TS note)
 * plus the connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2), on which Node's http2
 * throws. They can still reach here lower-case, e.g. from a gRPC-origin request or with
 * conversion off.
 */
const TRANSPORT_OWNED: ReadonlySet<string> = new Set([
  "content-type",
  "te",
  "user-agent",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "host",
]);

// grpc-js refuses (throws on) any other key, and non-printable ASCII in a text value.
const GRPC_KEY = /^[0-9a-z_.-]+$/;
const GRPC_TEXT_VALUE = /^[\x20-\x7e]*$/;

/**
 * Metadata as outgoing gRPC metadata (spec §2.7.3): to a gRPC app (OnInvoke) and as the
 * InvokeService response headers. Returns `[key, value]` pairs for grpc-js `Metadata.add`;
 * `-bin` keys carry bytes.
 *
 * Keys are lower-cased. Pseudo-headers (`:authority`…) are dropped: the transport writes its own
 * (spec §2.7.3, e2e). `grpc-*` keys are dropped except `grpc-trace-bin`, which the trace logic
 * rebuilds, together with `traceparent`/`tracestate`. `destination-app-id` and every casing of
 * `dapr-api-token` are dropped: the channel adds the app token itself (spec §3.5) and a caller's
 * token must never be forwarded (§11 row 3). A `-bin` value that is not valid base64 is skipped,
 * as is a text value grpc-js would reject.
 */
export function grpcMetadataFromMetadata(md: Metadata, opts: MetadataToGrpcOptions): [string, GrpcMetadataValue][] {
  const out: [string, GrpcMetadataValue][] = [];
  const trace: CapturedTrace = {};
  for (const [key, values] of md) {
    if (values.length === 0) continue;
    const lower = key.toLowerCase();
    if (captureTraceKey(trace, lower, values[0]!)) continue;
    if (lower === "destination-app-id" || lower === "dapr-api-token") continue;
    const name = opts.httpHeaderConversion && PERMANENT_REQUEST_HEADERS.has(key) ? `dapr-${lower}` : lower;
    if (name.startsWith(":") || name.startsWith("grpc-") || TRANSPORT_OWNED.has(name) || !GRPC_KEY.test(name)) continue;
    if (name.endsWith("-bin")) {
      for (const value of values) {
        // daprd tests the suffix on the original spelling: only `…-bin` values were stored as
        // base64 (§1.6); an HTTP-origin `X-Data-Bin` holds plain text, sent as its bytes.
        const bytes = key.endsWith("-bin") ? decodeBase64Std(value) : new Uint8Array(Buffer.from(value, "utf8"));
        if (bytes !== undefined) out.push([name, bytes]);
      }
    } else {
      for (const value of values) if (GRPC_TEXT_VALUE.test(value)) out.push([name, value]);
    }
  }
  out.push(...traceEntries(md, trace, opts.currentSpan));
  return out;
}

/** spec §2.7.3 trace rule; a gRPC peer gets both the W3C text headers and `grpc-trace-bin`. */
function traceEntries(md: Metadata, trace: CapturedTrace, currentSpan: SpanContext | undefined): [string, GrpcMetadataValue][] {
  if (isGrpcOrigin(md)) {
    if (trace.grpcTraceBin === undefined || trace.grpcTraceBin === "") return spanEntries(currentSpan);
    // The caller's binary context is forwarded as received; text headers only if it parses.
    const bytes = decodeBase64Std(trace.grpcTraceBin);
    if (bytes === undefined) return [];
    const sc = decodeGrpcTraceBin(bytes);
    const text = sc !== undefined && isValidSpanContext(sc) ? spanContextHeaders(sc) : [];
    return [...text, ["grpc-trace-bin", bytes]];
  }
  const fromHeader = trace.traceparent === undefined ? undefined : parseTraceparent(trace.traceparent);
  // An invalid tracestate is treated as empty, not as a reason to drop the traceparent.
  const sc =
    fromHeader === undefined ? currentSpan : { ...fromHeader, traceState: parseTracestate(trace.tracestate ?? "") ?? "" };
  return spanEntries(sc);
}

function spanEntries(sc: SpanContext | undefined): [string, GrpcMetadataValue][] {
  if (sc === undefined || !isValidSpanContext(sc)) return [];
  return [...spanContextHeaders(sc), ["grpc-trace-bin", encodeGrpcTraceBin(sc)]];
}

/**
 * Incoming gRPC metadata (InvokeService, gRPC proxy) as InternalInvokeRequest.metadata
 * (spec §2.7.1): lower-case keys, every value kept in order, binary (`-bin`) values stored as
 * standard padded base64 (§1.6). `dapr-api-token` is never carried on (§11 row 3).
 */
export function metadataFromGrpcMetadata(
  entries: Iterable<readonly [string, string | Uint8Array | Buffer]>,
): Metadata {
  const md = new Metadata();
  for (const [key, value] of entries) {
    const lower = key.toLowerCase();
    if (lower === "dapr-api-token") continue;
    if (lower.endsWith("-bin")) {
      md.append(lower, encodeBase64Std(typeof value === "string" ? Buffer.from(value, "utf8") : value));
    } else {
      md.append(lower, typeof value === "string" ? value : Buffer.from(value).toString("utf8"));
    }
  }
  return md;
}
