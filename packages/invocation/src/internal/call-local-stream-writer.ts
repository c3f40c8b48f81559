import { create } from "@bufbuild/protobuf";
import {
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseStreamSchema,
  StreamPayloadSchema,
  type InternalInvokeRequest,
  type InternalInvokeRequestStream,
  type InternalInvokeResponse,
  type InternalInvokeResponseStream,
  type StreamPayload,
} from "@courier/protos";
import type { BodyStream } from "../model/body.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { toInternalRequest, toInternalResponse } from "./proto-convert.js";
import { CALL_LOCAL_STREAM_CHUNK_SIZE, chunkBody } from "./stream-chunker.js";

/**
 * CallLocalStream messages for a request (caller side, spec §2.8 sender rules). Pull-based: each
 * message is built when the transport asks for it, so its back-pressure reaches the body source.
 */
export function writeRequestStream(req: InvokeRequest): AsyncGenerator<InternalInvokeRequestStream, void, undefined> {
  return frames(
    () => toInternalRequest(req),
    req.body,
    (request: InternalInvokeRequest | undefined, payload) => create(InternalInvokeRequestStreamSchema, { request, payload }),
  );
}

/** CallLocalStream messages for a response (callee side, spec §2.8 sender rules, §3.2). */
export function writeResponseStream(res: InvokeResponse): AsyncGenerator<InternalInvokeResponseStream, void, undefined> {
  return frames(
    () => toInternalResponse(res),
    res.body,
    (response: InternalInvokeResponse | undefined, payload) => create(InternalInvokeResponseStreamSchema, { response, payload }),
  );
}

async function* frames<H, M>(
  header: () => H,
  body: BodyStream,
  message: (header: H | undefined, payload: StreamPayload | undefined) => M,
): AsyncGenerator<M, void, undefined> {
  // spec §2.8 rule 1: the header part keeps data.type_url only; the bytes go out as payloads.
  let pending: H | undefined = header();
  let seq = 0n;
  for await (const data of chunkBody(body, CALL_LOCAL_STREAM_CHUNK_SIZE)) {
    // spec §2.8 rule 2/3: the first message is header + first chunk; seq counts from 0.
    yield message(pending, create(StreamPayloadSchema, { data, seq }));
    pending = undefined;
    seq += 1n;
  }
  // spec §2.8 rule 3: an empty body still sends the header, as one message without payload.
  if (pending !== undefined) yield message(pending, undefined);
}
