import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import {
  APIVersion,
  HTTPExtension_Verb,
  HTTPExtensionSchema,
  InternalInvokeRequestSchema,
  InternalInvokeResponseSchema,
  InvokeRequestSchema,
  InvokeResponseSchema,
  ListStringValueSchema,
  StatusSchema,
  type InternalInvokeRequest,
  type InternalInvokeResponse,
  type ListStringValue,
} from "@courier/protos";
import type { BodyStream } from "../model/body.js";
import type { HttpVerb, InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";

/** `map<string, ListStringValue>` as protobuf-es represents it (spec §1.3). */
export type ProtoMetadataMap = { [key: string]: ListStringValue };

// spec §1.4: HTTPExtension.Verb numbers; spelled out so a renumbering fails to compile.
const VERB_TO_PROTO: Record<HttpVerb, HTTPExtension_Verb> = {
  NONE: HTTPExtension_Verb.NONE,
  GET: HTTPExtension_Verb.GET,
  HEAD: HTTPExtension_Verb.HEAD,
  POST: HTTPExtension_Verb.POST,
  PUT: HTTPExtension_Verb.PUT,
  DELETE: HTTPExtension_Verb.DELETE,
  CONNECT: HTTPExtension_Verb.CONNECT,
  OPTIONS: HTTPExtension_Verb.OPTIONS,
  TRACE: HTTPExtension_Verb.TRACE,
  PATCH: HTTPExtension_Verb.PATCH,
};

const VERB_FROM_PROTO = new Map<number, HttpVerb>(
  (Object.entries(VERB_TO_PROTO) as [HttpVerb, HTTPExtension_Verb][]).map(([name, num]) => [num, name]),
);

export function verbToProto(verb: HttpVerb): HTTPExtension_Verb {
  return VERB_TO_PROTO[verb];
}

/**
 * Enum numbers outside spec §1.4 (open enums let them through) read as NONE, which the HTTP
 * app channel rejects (spec §3.4) instead of sending a made-up method to the app.
 */
export function verbFromProto(verb: number): HttpVerb {
  return VERB_FROM_PROTO.get(verb) ?? "NONE";
}

export function metadataToProto(md: Metadata): ProtoMetadataMap {
  const map: ProtoMetadataMap = {};
  for (const [key, values] of md) {
    // defineProperty, not `map[key] =`: a key spelled `__proto__` must stay an own entry.
    Object.defineProperty(map, key, {
      value: create(ListStringValueSchema, { values: [...values] }),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return map;
}

/** Keys with an empty value list carry nothing a header could express and are dropped. */
export function metadataFromProto(map: ProtoMetadataMap | undefined): Metadata {
  const md = new Metadata();
  if (map === undefined) return md;
  for (const [key, list] of Object.entries(map)) {
    for (const value of list.values) md.append(key, value);
  }
  return md;
}

/**
 * The header part of a call (spec §1.3). The body goes into `data.value` only for unary
 * CallLocal (`includeBody`); CallLocalStream sends it as payload chunks and keeps
 * `data.type_url` only (spec §2.8 sender rule 1).
 */
export function toInternalRequest(req: InvokeRequest, opts?: { includeBody?: Uint8Array }): InternalInvokeRequest {
  const msg = create(InternalInvokeRequestSchema, {
    ver: APIVersion.V1,
    message: create(InvokeRequestSchema, {
      method: req.method,
      contentType: req.contentType,
      data: create(AnySchema, { typeUrl: req.dataTypeUrl, value: opts?.includeBody ?? new Uint8Array(0) }),
      httpExtension: create(HTTPExtensionSchema, { verb: verbToProto(req.verb), querystring: req.query }),
    }),
  });
  // Assigned, not passed to create(): create() copies maps with `obj[key] =`, losing `__proto__`.
  msg.metadata = metadataToProto(req.metadata);
  return msg;
}

/**
 * Maps the header part to the model; `body` is the payload stream (or the unary `data.value`).
 * No checks here: the leading-chunk and §3.1 validations belong to the handler and the reader.
 */
export function fromInternalRequest(msg: InternalInvokeRequest, body: BodyStream, contentLength?: number): InvokeRequest {
  const message = msg.message;
  const ext = message?.httpExtension;
  const req: InvokeRequest = {
    method: message?.method ?? "",
    // spec §3.4: an absent http_extension is not HTTP-shaped; NONE is the model's word for that.
    verb: ext === undefined ? "NONE" : verbFromProto(ext.verb),
    query: ext?.querystring ?? "",
    contentType: message?.contentType ?? "",
    dataTypeUrl: message?.data?.typeUrl ?? "",
    metadata: metadataFromProto(msg.metadata),
    body,
  };
  if (contentLength !== undefined) req.contentLength = contentLength;
  return req;
}

/** The callee's answer header (spec §1.3); body only in `data.value` for unary CallLocal (spec §3.1). */
export function toInternalResponse(res: InvokeResponse, opts?: { includeBody?: Uint8Array }): InternalInvokeResponse {
  const msg = create(InternalInvokeResponseSchema, {
    status: create(StatusSchema, { code: res.status, message: res.statusMessage, details: [...res.statusDetails] }),
    message: create(InvokeResponseSchema, {
      contentType: res.contentType,
      data: create(AnySchema, { typeUrl: res.dataTypeUrl, value: opts?.includeBody ?? new Uint8Array(0) }),
    }),
  });
  msg.headers = metadataToProto(res.headers);
  msg.trailers = metadataToProto(res.trailers);
  return msg;
}

/** A missing `status` reads as 0; the stream reader rejects such a leading chunk (spec §2.8). */
export function fromInternalResponse(msg: InternalInvokeResponse, body: BodyStream): InvokeResponse {
  return {
    status: msg.status?.code ?? 0,
    statusMessage: msg.status?.message ?? "",
    statusDetails: [...(msg.status?.details ?? [])],
    headers: metadataFromProto(msg.headers),
    trailers: metadataFromProto(msg.trailers),
    contentType: msg.message?.contentType ?? "",
    dataTypeUrl: msg.message?.data?.typeUrl ?? "",
    body,
  };
}
