export {};

// --- headers & messaging helpers ---
export { cleanPath } from "./messaging/clean-path.js";
export { normalizeMethod } from "./messaging/normalize-method.js";
export { parseAppId } from "./messaging/app-id.js";
export type { AppTarget } from "./messaging/app-id.js";
export { grpcCodeFromHttpStatus, httpReasonPhrase, httpStatusFromGrpcCode } from "./messaging/status-mapping.js";
export { canonicalHeaderKey, isHeaderToken } from "./headers/canonical-key.js";
export { connectionNominated, HOP_BY_HOP_HEADERS, isHopByHopHeader } from "./headers/hop-by-hop.js";
export { decodeBase64Std, encodeBase64Std } from "./headers/base64-std.js";
export { metadataFromHttpHeaders } from "./headers/http-to-metadata.js";
export type { HttpToMetadataOptions } from "./headers/http-to-metadata.js";
export { httpHeadersFromMetadata } from "./headers/metadata-to-http.js";
export type { MetadataToHttpOptions } from "./headers/metadata-to-http.js";
export { grpcMetadataFromMetadata, metadataFromGrpcMetadata, PERMANENT_REQUEST_HEADERS } from "./headers/metadata-to-grpc.js";
export type { GrpcMetadataValue, MetadataToGrpcOptions } from "./headers/metadata-to-grpc.js";
export {
  decodeGrpcTraceBin,
  encodeGrpcTraceBin,
  formatTraceparent,
  GRPC_TRACE_BIN_LENGTH,
  isValidSpanContext,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  parseTracestate,
  spanContextHeaders,
} from "./headers/trace-context.js";
export type { SpanContext } from "./headers/trace-context.js";
export { forwardedValue, IDENTITY_HEADERS, stampLocalCall, stampRemoteCall, stripIdentityHeaders } from "./headers/caller-stamps.js";
export type { RemoteCallStamp } from "./headers/caller-stamps.js";
export { detectHostIp, detectHostname } from "./headers/host-info.js";

// --- internal protocol framing ---
export { CALL_LOCAL_STREAM_CHUNK_SIZE, chunkBody } from "./internal/stream-chunker.js";
export {
  fromInternalRequest,
  fromInternalResponse,
  metadataFromProto,
  metadataToProto,
  toInternalRequest,
  toInternalResponse,
  verbFromProto,
  verbToProto,
} from "./internal/proto-convert.js";
export type { ProtoMetadataMap } from "./internal/proto-convert.js";
export { writeRequestStream, writeResponseStream } from "./internal/call-local-stream-writer.js";
export { readRequestStream, readResponseStream } from "./internal/call-local-stream-reader.js";
