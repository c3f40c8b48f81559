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
 *
 * Received chunks are queued and each message is assembled once, when all of its bytes are in
 * (a view, without a copy, when it lies within one chunk). Re-concatenating the buffered bytes
 * on every chunk would make a large message quadratic: a 4 MiB unary message arriving in
 * 16 KiB DATA frames would copy ~512 MiB.
 */
export async function* decodeFrames(chunks: AsyncIterable<Uint8Array>, maxMessageSize: number): AsyncGenerator<Uint8Array> {
  const queue = new ByteQueue();
  /** Length of the message whose header was read, or -1 while waiting for a header. */
  let length = -1;
  for await (const chunk of chunks) {
    queue.push(chunk);
    for (;;) {
      if (length < 0) {
        if (queue.size < FRAME_HEADER_SIZE) break;
        const header = queue.take(FRAME_HEADER_SIZE);
        const flag = header[0]!;
        if (flag !== 0) {
          // Courier never negotiates compression (no grpc-accept-encoding), so a compressed frame is a peer error.
          throw new InvocationError(GrpcCode.Internal, `received a compressed message (flag ${flag}) without a negotiated encoding`);
        }
        length = header.readUInt32BE(1);
        if (length > maxMessageSize) {
          throw new InvocationError(GrpcCode.ResourceExhausted, `received message larger than max (${length} vs. ${maxMessageSize})`);
        }
      }
      if (queue.size < length) break;
      const message = queue.take(length);
      length = -1;
      yield message;
    }
  }
  const left = queue.size + (length >= 0 ? FRAME_HEADER_SIZE : 0);
  if (left > 0) {
    throw new InvocationError(GrpcCode.Internal, `stream ended inside a message (${left} bytes left over)`);
  }
}

/** A FIFO of received chunks that hands out byte ranges, copying only ranges that span chunks. */
class ByteQueue {
  #chunks: (Buffer | undefined)[] = [];
  #head = 0;
  size = 0;

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.size += chunk.byteLength;
  }

  /** The next `n` bytes (n <= size). */
  take(n: number): Buffer {
    this.size -= n;
    const first = this.#chunks[this.#head];
    if (first === undefined || n === 0) return Buffer.alloc(0);
    if (first.byteLength >= n) {
      const out = first.subarray(0, n);
      this.#advance(first, n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head]!;
      const used = Math.min(chunk.byteLength, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      this.#advance(chunk, used);
    }
    return out;
  }

  #advance(chunk: Buffer, used: number): void {
    if (used < chunk.byteLength) {
      this.#chunks[this.#head] = chunk.subarray(used);
      return;
    }
    this.#chunks[this.#head] = undefined;
    this.#head++;
    // Compact now and then so the array does not grow with the stream.
    if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
