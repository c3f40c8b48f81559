// The public surface of @courier/protos: buf/protoc-gen-es output only, no logic.
export * from "./gen/dapr/proto/common/v1/common_pb.js";
export * from "./gen/dapr/proto/internals/v1/apiversion_pb.js";
export * from "./gen/dapr/proto/internals/v1/status_pb.js";
export * from "./gen/dapr/proto/internals/v1/reminders_pb.js";
export * from "./gen/dapr/proto/internals/v1/service_invocation_pb.js";
export * from "./gen/dapr/proto/runtime/v1/invoke_pb.js";
export * from "./gen/dapr/proto/runtime/v1/dapr_pb.js";
export * from "./gen/dapr/proto/runtime/v1/appcallback_pb.js";
