import type {
  InternalInvokeRequest,
  InternalInvokeRequestStream,
  InternalInvokeResponse,
  InternalInvokeResponseStream,
  StreamPayload,
} from "@courier/protos";
import { GrpcCode, InvocationError } from "../errors.js";
import type { BodyStream } from "../model/body.js";

/**
 * Reads the request side of CallLocalStream (callee, spec §2.8 receiver rules, §3.2). Resolves
 * once the leading message is in; the body then pulls the remaining messages from the same
 * iterator as it is read, so nothing is buffered beyond the message in hand.
 */
export async function readRequestStream(
  messages: AsyncIterable<InternalInvokeRequestStream>,
): Promise<{ request: InternalInvokeRequest; body: BodyStream }> {
  const iterator = messages[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new InvocationError(GrpcCode.InvalidArgument, "parsing InternalInvokeRequest error: request stream ended before the leading chunk");
  }
  const request = first.value.request;
  // spec §1.6: an empty proto3 map decodes as nil in Go, so daprd needs at least one metadata key.
  if (request === undefined || isEmpty(request.metadata) || request.message === undefined) {
    void close(iterator);
    throw new InvocationError(
      GrpcCode.InvalidArgument,
      "parsing InternalInvokeRequest error: request does not contain the required fields in the leading chunk",
    );
  }
  return {
    request,
    body: payloadBody(iterator, first.value.payload, (chunk) => {
      const r = chunk.request;
      // spec §2.8: `ver`/`actor` in a later chunk are ignored, as daprd does.
      return r !== undefined && (!isEmpty(r.metadata) || r.message !== undefined);
    }, "request metadata found in non-leading chunk"),
  };
}

/** Reads the response side of CallLocalStream (caller, spec §2.8 receiver rules). */
export async function readResponseStream(
  messages: AsyncIterable<InternalInvokeResponseStream>,
): Promise<{ response: InternalInvokeResponse; body: BodyStream }> {
  const iterator = messages[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw framingError("response stream ended before the leading chunk");
  const response = first.value.response;
  if (response?.status === undefined) {
    void close(iterator);
    throw framingError("response does not contain the required fields in the leading chunk");
  }
  return {
    response,
    body: payloadBody(iterator, first.value.payload, (chunk) => {
      const r = chunk.response;
      // spec §1.6: a present-but-empty `response` is allowed (daprd's SSE writer sends it);
      // trailers are not checked, as in daprd.
      return r !== undefined && (r.status !== undefined || !isEmpty(r.headers) || r.message !== undefined);
    }, "response metadata found in non-leading chunk"),
  };
}

/**
 * The payload bytes of the leading message and every later one, checked as they are pulled.
 * Lazy: an error can only reach whoever iterates, so an unread body never rejects on its own.
 * Readable once, since it drains the one message iterator.
 */
function payloadBody<M extends { payload?: StreamPayload | undefined }>(
  iterator: AsyncIterator<M>,
  leading: StreamPayload | undefined,
  hasHeader: (chunk: M) => boolean,
  headerError: string,
): BodyStream {
  let claimed = false;
  return {
    [Symbol.asyncIterator]() {
      if (claimed) throw new Error("CallLocalStream body can be read only once");
      claimed = true;
      return pump();
    },
  };

  async function* pump(): AsyncGenerator<Uint8Array, void, undefined> {
    let expected = 0n;
    let payload = leading;
    let ended = false;
    try {
      for (;;) {
        // spec §1.6: seq only means something when a payload is present.
        if (payload !== undefined) {
          // spec §2.8: checked before the bytes are passed on (daprd writes them first).
          if (payload.seq !== expected) {
            throw framingError(`invalid sequence number received: ${payload.seq} (expected: ${expected})`);
          }
          expected += 1n;
          if (payload.data.byteLength > 0) yield payload.data;
        }
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          return;
        }
        if (hasHeader(next.value)) throw framingError(headerError);
        payload = next.value.payload;
      }
    } finally {
      // The reader stopped early (error or `break`): release the transport stream.
      if (!ended) await close(iterator);
    }
  }
}

// daprd raises these as plain Go errors, which gRPC reports as Unknown (spec §2.8).
function framingError(message: string): InvocationError {
  return new InvocationError(GrpcCode.Unknown, message);
}

function isEmpty(map: Record<string, unknown>): boolean {
  return Object.keys(map).length === 0;
}

/** Never rejects: the stream is being abandoned either way. */
async function close(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    /* ignored */
  }
}
