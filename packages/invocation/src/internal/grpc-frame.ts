import { GrpcCode, InvocationError } from "../errors.js";

/** gRPC length-prefixed message framing (gRPC over HTTP/2: 1 flag byte + 4-byte length). */
export const FRAME_HEADER_SIZE = 5;

export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Splits an HTTP/2 DATA byte stream into gRPC messages. Pull-based: the next chunk is read only
 * when the consumer wants the next message, so HTTP/2 flow control applies end to end.
 */
export async function* decodeFrames(chunks: AsyncIterable<Uint8Array>, maxMessageSize: number): AsyncGenerator<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.byteLength === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.byteLength < FRAME_HEADER_SIZE) break;
      const flag = pending[0]!;
      if (flag !== 0) {
        // Courier never negotiates compression (no grpc-accept-encoding), so a compressed frame is a peer error.
        throw new InvocationError(GrpcCode.Internal, `received a compressed message (flag ${flag}) without a negotiated encoding`);
      }
      const length = pending.readUInt32BE(1);
      if (length > maxMessageSize) {
        throw new InvocationError(GrpcCode.ResourceExhausted, `received message larger than max (${length} vs. ${maxMessageSize})`);
      }
      if (pending.byteLength < FRAME_HEADER_SIZE + length) break;
      const message = pending.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + length);
      pending = pending.subarray(FRAME_HEADER_SIZE + length);
      yield message;
    }
  }
  if (pending.byteLength > 0) {
    throw new InvocationError(GrpcCode.Internal, `stream ended inside a message (${pending.byteLength} bytes left over)`);
  }
}
