import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
} from "@courier/protos";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** Full method paths of the internal service (spec §1.2). */
export const CALL_LOCAL_PATH = "/dapr.proto.internals.v1.ServiceInvocation/CallLocal";
export const CALL_LOCAL_STREAM_PATH = "/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream";

function codec<D extends DescMessage>(schema: D) {
  return {
    serialize: (msg: MessageShape<D>): Buffer => {
      const bytes = toBinary(schema, msg);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (buf: Buffer): MessageShape<D> => fromBinary(schema, buf),
  };
}

export const requestCodec = codec(InternalInvokeRequestSchema);
export const responseCodec = codec(InternalInvokeResponseSchema);
export const requestStreamCodec = codec(InternalInvokeRequestStreamSchema);
export const responseStreamCodec = codec(InternalInvokeResponseStreamSchema);

function method<Req, Res>(
  path: string,
  requestStream: boolean,
  responseStream: boolean,
  req: { serialize(m: Req): Buffer; deserialize(b: Buffer): Req },
  res: { serialize(m: Res): Buffer; deserialize(b: Buffer): Res },
): MethodDefinition<Req, Res> {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  };
}

/**
 * The grpc-js view of ServiceInvocation, built from the protobuf-es descriptors. Only the two
 * RPCs Courier serves are registered; grpc-js answers Unimplemented for the actor RPCs.
 */
export const serviceInvocationDefinition = {
  CallLocal: method(CALL_LOCAL_PATH, false, false, requestCodec, responseCodec),
  CallLocalStream: method(CALL_LOCAL_STREAM_PATH, true, true, requestStreamCodec, responseStreamCodec),
} satisfies ServiceDefinition;
