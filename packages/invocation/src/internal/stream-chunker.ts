import type { BodyStream } from "../model/body.js";

/** spec §2.8: daprd reads the body in 2 KiB steps (`StreamBufferSize = 2 << 10`) on both sides. */
export const CALL_LOCAL_STREAM_CHUNK_SIZE = 2048;

/**
 * Re-slices a body into pieces of at most `size` bytes. Pieces are views into the source
 * chunks (no copies), and small chunks are not merged: like daprd's plain `Read` (spec §2.8),
 * whatever arrived is sent at once, so a trickling stream (SSE) is not held back. Pull-based:
 * the next source chunk is requested only once every piece of the current one was taken.
 */
export async function* chunkBody(body: BodyStream, size = CALL_LOCAL_STREAM_CHUNK_SIZE): AsyncGenerator<Uint8Array, void, undefined> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  for await (const chunk of body) {
    if (chunk.byteLength <= size) {
      if (chunk.byteLength > 0) yield chunk;
      continue;
    }
    for (let offset = 0; offset < chunk.byteLength; offset += size) {
      yield chunk.subarray(offset, offset + size);
    }
  }
}
