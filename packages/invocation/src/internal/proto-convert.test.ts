import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import {
  APIVersion,
  HTTPExtension_Verb,
  HTTPExtensionSchema,
  InternalInvokeRequestSchema,
  InternalInvokeResponseSchema,
  InvokeRequestSchema,
  ListStringValueSchema,
} from "@courier/protos";
import { describe, expect, it } from "vitest";
import { emptyBody, readBody, bodyFromBytes } from "../model/body.js";
import { HTTP_VERBS, type HttpVerb, type InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import {
  fromInternalRequest,
  fromInternalResponse,
  metadataFromProto,
  metadataToProto,
  toInternalRequest,
  toInternalResponse,
  verbFromProto,
  verbToProto,
} from "./proto-convert.js";

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    method: "api/v1/add",
    verb: "POST",
    query: "a=1&b=%20",
    contentType: "application/json",
    dataTypeUrl: "",
    metadata: new Metadata({ "dapr-caller-app-id": "caller", Accept: ["text/plain", "application/json"] }),
    body: emptyBody(),
    ...overrides,
  };
}

function response(overrides: Partial<InvokeResponse> = {}): InvokeResponse {
  return {
    status: 201,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata({ "Content-Type": "text/plain", "Set-Cookie": ["a=1", "b=2"] }),
    trailers: new Metadata(),
    contentType: "text/plain",
    dataTypeUrl: "",
    body: emptyBody(),
    ...overrides,
  };
}

// spec §1.4, written out independently of the implementation's table.
const SPEC_VERBS: [HttpVerb, number][] = [
  ["NONE", 0],
  ["GET", 1],
  ["HEAD", 2],
  ["POST", 3],
  ["PUT", 4],
  ["DELETE", 5],
  ["CONNECT", 6],
  ["OPTIONS", 7],
  ["TRACE", 8],
  ["PATCH", 9],
];

describe("metadata conversion", () => {
  it("keeps every value, in order, under the original spelling", () => {
    const md = new Metadata([
      ["Accept", ["a", "b"]],
      ["accept", "c"],
      ["x-one", "1"],
    ]);
    const map = metadataToProto(md);
    expect(Object.keys(map)).toEqual(["Accept", "accept", "x-one"]);
    expect(map["Accept"]!.values).toEqual(["a", "b"]);
    expect(map["accept"]!.values).toEqual(["c"]);
    const back = metadataFromProto(map);
    expect(back.toRecord()).toEqual({ Accept: ["a", "b"], accept: ["c"], "x-one": ["1"] });
  });

  it("does not share arrays with the source", () => {
    const md = new Metadata({ k: ["v"] });
    const map = metadataToProto(md);
    map["k"]!.values.push("w");
    expect(md.getAll("k")).toEqual(["v"]);
  });

  it("drops keys whose value list is empty and accepts an absent map", () => {
    const md = metadataFromProto({ empty: create(ListStringValueSchema, { values: [] }), k: create(ListStringValueSchema, { values: ["v"] }) });
    expect(md.toRecord()).toEqual({ k: ["v"] });
    expect(metadataFromProto(undefined).size).toBe(0);
  });

  it("keeps a key spelled __proto__ as an own entry", () => {
    const map = metadataToProto(new Metadata([["__proto__", "x"]]));
    expect(Object.keys(map)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    const msg = toInternalRequest(request({ metadata: new Metadata([["__proto__", "x"]]) }));
    expect(Object.keys(msg.metadata)).toEqual(["__proto__"]);
  });
});

describe("verb mapping (spec §1.4)", () => {
  it("model verb names cover exactly the enum", () => {
    expect([...HTTP_VERBS]).toEqual(SPEC_VERBS.map(([name]) => name));
  });

  it.each(SPEC_VERBS)("%s <-> %i", (name, num) => {
    expect(verbToProto(name)).toBe(num);
    expect(HTTPExtension_Verb[name]).toBe(num);
    expect(verbFromProto(num)).toBe(name);
    const msg = toInternalRequest(request({ verb: name }));
    expect(msg.message?.httpExtension?.verb).toBe(num);
    expect(fromInternalRequest(msg, emptyBody()).verb).toBe(name);
  });

  it("reads an enum number outside the spec as NONE", () => {
    expect(verbFromProto(42)).toBe("NONE");
    const msg = create(InternalInvokeRequestSchema, {
      message: create(InvokeRequestSchema, { httpExtension: create(HTTPExtensionSchema, { verb: 42 as HTTPExtension_Verb }) }),
    });
    expect(fromInternalRequest(msg, emptyBody()).verb).toBe("NONE");
  });
});

describe("toInternalRequest / fromInternalRequest", () => {
  it("builds the header part with an empty data.value and the type_url kept (spec §1.3, §2.8)", () => {
    const msg = toInternalRequest(request({ dataTypeUrl: "type.googleapis.com/x.Y" }));
    expect(msg.ver).toBe(APIVersion.V1);
    expect(msg.actor).toBeUndefined();
    expect(msg.metadata["Accept"]!.values).toEqual(["text/plain", "application/json"]);
    expect(msg.metadata["dapr-caller-app-id"]!.values).toEqual(["caller"]);
    expect(msg.message?.method).toBe("api/v1/add");
    expect(msg.message?.contentType).toBe("application/json");
    expect(msg.message?.data?.typeUrl).toBe("type.googleapis.com/x.Y");
    expect(msg.message?.data?.value).toEqual(new Uint8Array(0));
    expect(msg.message?.httpExtension?.verb).toBe(HTTPExtension_Verb.POST);
    expect(msg.message?.httpExtension?.querystring).toBe("a=1&b=%20");
  });

  it("puts the body into data.value for unary CallLocal", () => {
    const body = new TextEncoder().encode("hello");
    const msg = toInternalRequest(request(), { includeBody: body });
    expect(msg.message?.data?.value).toEqual(body);
  });

  it("survives the wire and maps back", async () => {
    const bytes = new TextEncoder().encode("payload");
    const wire = toBinary(InternalInvokeRequestSchema, toInternalRequest(request({ dataTypeUrl: "t/u" }), { includeBody: bytes }));
    const decoded = fromBinary(InternalInvokeRequestSchema, wire);
    const req = fromInternalRequest(decoded, bodyFromBytes(decoded.message!.data!.value), bytes.byteLength);
    expect(req.method).toBe("api/v1/add");
    expect(req.verb).toBe("POST");
    expect(req.query).toBe("a=1&b=%20");
    expect(req.contentType).toBe("application/json");
    expect(req.dataTypeUrl).toBe("t/u");
    expect(req.metadata.toRecord()).toEqual({ "dapr-caller-app-id": ["caller"], Accept: ["text/plain", "application/json"] });
    expect(req.contentLength).toBe(7);
    expect(await readBody(req.body)).toEqual(bytes);
  });

  it("reads an absent http_extension as verb NONE and leaves contentLength unset", () => {
    const msg = create(InternalInvokeRequestSchema, {
      ver: APIVersion.V1,
      message: create(InvokeRequestSchema, { method: "m" }),
    });
    const req = fromInternalRequest(msg, emptyBody());
    expect(req.verb).toBe("NONE");
    expect(req.query).toBe("");
    expect(req.dataTypeUrl).toBe("");
    expect("contentLength" in req).toBe(false);
  });

  it("does not validate: a missing message gives empty fields", () => {
    const req = fromInternalRequest(create(InternalInvokeRequestSchema), emptyBody());
    expect(req.method).toBe("");
    expect(req.verb).toBe("NONE");
    expect(req.metadata.size).toBe(0);
  });
});

describe("toInternalResponse / fromInternalResponse", () => {
  it("carries status, headers, trailers and content type (spec §1.3)", () => {
    const detail = create(AnySchema, { typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: new Uint8Array([1, 2]) });
    const msg = toInternalResponse(
      response({ status: 5, statusMessage: "not here", statusDetails: [detail], trailers: new Metadata({ "grpc-x": "t" }), dataTypeUrl: "t/u" }),
    );
    expect(msg.status?.code).toBe(5);
    expect(msg.status?.message).toBe("not here");
    expect(msg.status?.details).toHaveLength(1);
    expect(msg.headers["Set-Cookie"]!.values).toEqual(["a=1", "b=2"]);
    expect(msg.trailers["grpc-x"]!.values).toEqual(["t"]);
    expect(msg.message?.contentType).toBe("text/plain");
    expect(msg.message?.data?.typeUrl).toBe("t/u");
    expect(msg.message?.data?.value).toEqual(new Uint8Array(0));
  });

  it("survives the wire and maps back, with the unary body", async () => {
    const detail = create(AnySchema, { typeUrl: "x/y", value: new Uint8Array([9]) });
    const body = new TextEncoder().encode("answer");
    const wire = toBinary(
      InternalInvokeResponseSchema,
      toInternalResponse(response({ statusDetails: [detail], statusMessage: "m" }), { includeBody: body }),
    );
    const decoded = fromBinary(InternalInvokeResponseSchema, wire);
    expect(decoded.message?.data?.value).toEqual(body);
    const res = fromInternalResponse(decoded, bodyFromBytes(decoded.message!.data!.value));
    expect(res.status).toBe(201);
    expect(res.statusMessage).toBe("m");
    expect(res.statusDetails.map((d) => [d.typeUrl, [...d.value]])).toEqual([["x/y", [9]]]);
    expect(res.headers.toRecord()).toEqual({ "Content-Type": ["text/plain"], "Set-Cookie": ["a=1", "b=2"] });
    expect(res.trailers.size).toBe(0);
    expect(res.contentType).toBe("text/plain");
    expect(res.dataTypeUrl).toBe("");
    expect(await readBody(res.body)).toEqual(body);
  });

  it("reads a missing status as 0 and a missing message as empty fields", () => {
    const res = fromInternalResponse(create(InternalInvokeResponseSchema), emptyBody());
    expect(res.status).toBe(0);
    expect(res.statusMessage).toBe("");
    expect(res.statusDetails).toEqual([]);
    expect(res.contentType).toBe("");
    expect(res.dataTypeUrl).toBe("");
  });
});
