// --- model ---
export { Metadata } from "./model/metadata.js";
export type { MetadataInit } from "./model/metadata.js";
export { BodyTooLargeError, bodyFromBytes, discardBody, emptyBody, limitBody, readBody } from "./model/body.js";
export type { BodyStream } from "./model/body.js";
export { BodyNotReplayableError, ReplayableBody } from "./model/replayable-body.js";
export { HTTP_VERBS, isHttpVerb } from "./model/invoke-request.js";
export type { HttpVerb, InvokeRequest } from "./model/invoke-request.js";
export { isGrpcStatus } from "./model/invoke-response.js";
export type { InvokeResponse } from "./model/invoke-response.js";
export type { AppIdentity, InvokeContext } from "./model/invoke-context.js";
export { GrpcCode, InvocationError, abortedCallError, deadlineExceededError, grpcCodeName, isInvocationError } from "./errors.js";
export { silentLogger } from "./logger.js";
export type { LogFn, Logger } from "./logger.js";

// --- messaging ---
export { BUILT_IN_RETRY, DirectMessaging } from "./messaging/direct-messaging.js";
export type { DirectMessagingOptions, InvokeOptions } from "./messaging/direct-messaging.js";
export { CalleeDispatcher } from "./messaging/callee-dispatcher.js";
export type { CalleeDispatcherOptions, DispatchOptions } from "./messaging/callee-dispatcher.js";
export type { RemoteInvoker } from "./messaging/remote-invoker.js";

// --- internal gRPC transport ---
export { InternalGrpcClient } from "./internal/internal-client.js";
export type { InternalGrpcClientOptions } from "./internal/internal-client.js";
export { InternalGrpcServer } from "./internal/internal-server.js";
export type { InternalGrpcServerOptions } from "./internal/internal-server.js";
export { CALL_LOCAL_PATH, CALL_LOCAL_STREAM_PATH, serviceInvocationDefinition } from "./internal/service-definition.js";

// --- app channels ---
export type { AppChannel } from "./channel/app-channel.js";
export { HttpAppChannel } from "./channel/http-app-channel.js";
export type { HttpAppChannelOptions } from "./channel/http-app-channel.js";
export { appRequestTarget } from "./channel/app-url.js";

// --- filters ---
export { compose } from "./filters/filter.js";
export type { Filter, Invoke } from "./filters/filter.js";
export { accessLog } from "./filters/access-log.js";
export type { AccessLogOptions } from "./filters/access-log.js";
export { concurrencyLimit } from "./filters/concurrency-limit.js";

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

// --- gRPC over HTTP/2 building blocks (used by the internal transport and the future gRPC proxy) ---
export { FRAME_HEADER_SIZE, decodeFrames, encodeFrame } from "./internal/grpc-frame.js";
export { decodeGrpcMessage, encodeGrpcMessage, encodeGrpcTimeout, grpcCodeFromTransportStatus, parseGrpcTimeout } from "./internal/grpc-wire.js";
export { Http2SessionPool } from "./internal/http2-session-pool.js";
export type { Http2SessionPoolOptions } from "./internal/http2-session-pool.js";
