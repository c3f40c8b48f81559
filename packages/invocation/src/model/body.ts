/**
 * Bodies are pull-based byte streams: whoever consumes them sets the pace, which gives
 * back-pressure end to end (a Node Readable, an undici body or a gRPC stream reader all fit).
 */
export type BodyStream = AsyncIterable<Uint8Array>;

const EMPTY: BodyStream = {
  async *[Symbol.asyncIterator]() {
    /* no chunks */
  },
};

export function emptyBody(): BodyStream {
  return EMPTY;
}

export function bodyFromBytes(bytes: Uint8Array | string): BodyStream {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return {
    async *[Symbol.asyncIterator]() {
      if (data.byteLength > 0) yield data;
    },
  };
}

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  readonly code = "COURIER_BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    // Dapr's reader error text (spec §2.11), kept so clients matching on it still work.
    super(`stream too large: body exceeds ${limit} bytes`);
  }
}

/** Reads a whole body into memory, failing once it passes `limit` bytes. */
export async function readBody(body: BodyStream, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Passes chunks through and fails the stream once more than `limit` bytes went by. */
export function limitBody(body: BodyStream, limit: number): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      let total = 0;
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > limit) throw new BodyTooLargeError(limit);
        yield chunk;
      }
    },
  };
}

/** Drains a body without keeping it, so the producer's resources are released. */
export async function discardBody(body: BodyStream): Promise<void> {
  try {
    for await (const _ of body) {
      /* drop */
    }
  } catch {
    /* the body's own error is irrelevant once nobody wants it */
  }
}
