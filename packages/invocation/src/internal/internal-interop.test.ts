/**
 * Interop of the hand-written gRPC-over-node:http2 transport with an independent gRPC
 * implementation (grpc-js), both directions, over real sockets on 127.0.0.1 (spec §1.2, §1.6,
 * §2.8, §3.1, §3.2).
 */
import { createHash } from "node:crypto";
import http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  APIVersion,
  HTTPExtension_Verb,
  HTTPExtensionSchema,
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
  InvokeRequestSchema,
  InvokeResponseSchema,
  ListStringValueSchema,
  StatusSchema,
  StreamPayloadSchema,
  type InternalInvokeRequest,
  type InternalInvokeRequestStream,
  type InternalInvokeResponse,
  type InternalInvokeResponseStream,
} from "@courier/protos";
import { afterEach, describe, expect, it } from "vitest";
import type { AppChannel } from "../channel/app-channel.js";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Filter } from "../filters/filter.js";
import { silentLogger } from "../logger.js";
import { CalleeDispatcher } from "../messaging/callee-dispatcher.js";
import { bodyFromBytes, emptyBody, readBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { InternalGrpcClient } from "./internal-client.js";
import { InternalGrpcServer } from "./internal-server.js";
import {
  CALL_LOCAL_PATH,
  CALL_LOCAL_STREAM_PATH,
  requestCodec,
  requestStreamCodec,
  responseCodec,
  responseStreamCodec,
  serviceInvocationDefinition,
} from "./service-definition.js";

const MAX = 4 * 1024 * 1024;
const MiB = 1024 * 1024;
const CHUNK = 2048;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

type Handler = (req: InvokeRequest, ctx: InvokeContext) => Promise<InvokeResponse>;

class FakeChannel implements AppChannel {
  readonly protocol = "http" as const;
  readonly calls: { req: InvokeRequest; ctx: InvokeContext }[] = [];
  constructor(public handler: Handler) {}
  invoke(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    this.calls.push({ req, ctx });
    return this.handler(req, ctx);
  }
  async probe(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function response(partial: Partial<InvokeResponse> = {}): InvokeResponse {
  return {
    status: 200,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata(),
    trailers: new Metadata(),
    contentType: "",
    dataTypeUrl: "",
    body: emptyBody(),
    ...partial,
  };
}

function request(partial: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    method: "echo",
    verb: "POST",
    query: "",
    contentType: "application/octet-stream",
    dataTypeUrl: "",
    metadata: new Metadata([
      ["dapr-caller-app-id", "caller"],
      ["dapr-callee-app-id", "callee"],
    ]),
    body: emptyBody(),
    ...partial,
  };
}

function context(opts: { signal?: AbortSignal; deadline?: number } = {}): InvokeContext {
  return {
    signal: opts.signal ?? new AbortController().signal,
    deadline: opts.deadline,
    side: "caller",
    target: { appId: "callee", namespace: "default" },
    caller: { appId: "caller", namespace: "default" },
    log: silentLogger,
    attributes: new Map(),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch {
      /* best effort */
    }
  }
});

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(promise: Promise<unknown>, ms = 10_000): Promise<InvocationError> {
  const err = await within(
    promise.then(
      () => undefined,
      (e: unknown) => e,
    ),
    ms,
    "call",
  );
  expect(err, "call should have failed").toBeInstanceOf(InvocationError);
  return err as InvocationError;
}

function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));
}

function pattern(size: number, salt = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + salt * 7 + (i >> 9)) & 0xff;
  return out;
}

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

async function bodyText(body: BodyStream): Promise<string> {
  return new TextDecoder().decode(await readBody(body));
}

function md(entries: Record<string, string[]>) {
  return Object.fromEntries(Object.entries(entries).map(([k, values]) => [k, create(ListStringValueSchema, { values })]));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** Our server with a CalleeDispatcher over a fake app. */
async function startCourierServer(handler: Handler, opts: { filters?: Filter[]; maxMessageSize?: number } = {}) {
  const channel = new FakeChannel(handler);
  const dispatcher = new CalleeDispatcher({ appId: "callee", namespace: "default", channel, filters: opts.filters });
  const server = new InternalGrpcServer({ dispatcher, maxMessageSize: opts.maxMessageSize ?? MAX });
  const port = await server.listen(0);
  cleanups.push(() => server.close(0));
  return { channel, address: `127.0.0.1:${port}` };
}

function grpcClient(address: string): grpc.Client {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  cleanups.push(() => client.close());
  return client;
}

async function startGrpcServer(
  service: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return { server, address: `127.0.0.1:${port}` };
}

function newClient(): InternalGrpcClient {
  const client = new InternalGrpcClient({ maxMessageSize: MAX });
  cleanups.push(() => client.close());
  return client;
}

/** Records the `:path` of every HTTP/2 request our client sends (a spy on node:http2). */
function spyOnPaths(): string[] {
  const paths: string[] = [];
  const connect = http2.connect;
  const spy = ((...args: Parameters<typeof http2.connect>) => {
    const session = connect(...args);
    const request = session.request.bind(session);
    session.request = ((headers?: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions) => {
      paths.push(String(headers?.[":path"]));
      return request(headers, options);
    }) as typeof session.request;
    return session;
  }) as typeof http2.connect;
  (http2 as { connect: typeof http2.connect }).connect = spy;
  cleanups.push(() => {
    (http2 as { connect: typeof http2.connect }).connect = connect;
  });
  return paths;
}

/** Header + 2 KiB payload chunks with seq 0..n, as daprd sends a request (spec §2.8). */
function requestStreamMessages(header: InternalInvokeRequest, body: Uint8Array): InternalInvokeRequestStream[] {
  const out: InternalInvokeRequestStream[] = [];
  let seq = 0n;
  for (let offset = 0; offset < body.byteLength; offset += CHUNK) {
    out.push(
      create(InternalInvokeRequestStreamSchema, {
        request: offset === 0 ? header : undefined,
        payload: create(StreamPayloadSchema, { data: body.subarray(offset, offset + CHUNK), seq: seq++ }),
      }),
    );
  }
  if (out.length === 0) out.push(create(InternalInvokeRequestStreamSchema, { request: header }));
  return out;
}

function requestHeader(opts: { method?: string; metadata?: Record<string, string[]>; data?: Uint8Array; verb?: HTTPExtension_Verb; query?: string } = {}) {
  return create(InternalInvokeRequestSchema, {
    ver: APIVersion.V1,
    metadata: md(opts.metadata ?? { "dapr-caller-app-id": ["grpc-js"], "dapr-callee-app-id": ["callee"] }),
    message: create(InvokeRequestSchema, {
      method: opts.method ?? "orders/1",
      contentType: "application/json",
      data: create(AnySchema, { value: opts.data ?? new Uint8Array(0) }),
      httpExtension: create(HTTPExtensionSchema, { verb: opts.verb ?? HTTPExtension_Verb.PUT, querystring: opts.query ?? "x=1" }),
    }),
  });
}

/** Runs one CallLocalStream from grpc-js and collects every response message and the status. */
function grpcJsStream(
  client: grpc.Client,
  messages: InternalInvokeRequestStream[],
  options: grpc.CallOptions = {},
): Promise<{ responses: InternalInvokeResponseStream[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest<InternalInvokeRequestStream, InternalInvokeResponseStream>(
      CALL_LOCAL_STREAM_PATH,
      requestStreamCodec.serialize,
      responseStreamCodec.deserialize,
      new grpc.Metadata(),
      options,
    );
    const responses: InternalInvokeResponseStream[] = [];
    call.on("data", (m: InternalInvokeResponseStream) => responses.push(m));
    call.on("error", (error: grpc.ServiceError) => resolve({ responses, error }));
    call.on("end", () => resolve({ responses }));
    for (const m of messages) call.write(m);
    call.end();
  });
}

function grpcJsUnary(
  client: grpc.Client,
  path: string,
  message: InternalInvokeRequest,
  options: grpc.CallOptions = {},
): Promise<{ response?: InternalInvokeResponse; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest<InternalInvokeRequest, InternalInvokeResponse>(
      path,
      requestCodec.serialize,
      responseCodec.deserialize,
      message,
      new grpc.Metadata(),
      options,
      (error, response) => resolve(error ? { error } : { response }),
    );
  });
}

function payloadOf(responses: InternalInvokeResponseStream[]): { bytes: Uint8Array; seqs: bigint[] } {
  const parts: Uint8Array[] = [];
  const seqs: bigint[] = [];
  for (const r of responses) {
    if (r.payload) {
      parts.push(r.payload.data);
      seqs.push(r.payload.seq);
    }
  }
  return { bytes: concat(parts), seqs };
}

// ---------------------------------------------------------------------------------------------
// (a) grpc-js client → our InternalGrpcServer
// ---------------------------------------------------------------------------------------------

describe("grpc-js client → Courier InternalGrpcServer", () => {
  it("CallLocalStream: header + payload chunks in, leading response + 2 KiB chunks with seq 0..n out", async () => {
    const body = pattern(100 * 1024 + 7);
    const { channel, address } = await startCourierServer(async (req) => {
      const got = await readBody(req.body);
      return response({
        status: 200,
        headers: new Metadata([
          ["X-Digest", sha(got)],
          ["X-Multi", ["a", "b"]],
        ]),
        contentType: "application/octet-stream",
        body: bodyFromBytes(got.slice().reverse()),
      });
    });
    const client = grpcClient(address);
    const header = requestHeader({ metadata: { "dapr-caller-app-id": ["grpc-js"], "X-Unicode": ["ünï"], "content-length": [String(body.byteLength)] } });
    const { responses, error } = await within(grpcJsStream(client, requestStreamMessages(header, body)), 10_000, "grpc-js stream");
    expect(error).toBeUndefined();

    const seen = channel.calls[0]!.req;
    expect(seen.method).toBe("orders/1");
    expect(seen.verb).toBe("PUT");
    expect(seen.query).toBe("x=1");
    expect(seen.contentType).toBe("application/json");
    expect(seen.metadata.get("x-unicode")).toBe("ünï");
    expect(seen.contentLength).toBe(body.byteLength);

    const lead = responses[0]!.response!;
    expect(lead.status?.code).toBe(200);
    expect(lead.headers["X-Digest"]?.values).toEqual([sha(body)]);
    expect(lead.headers["X-Multi"]?.values).toEqual(["a", "b"]);
    expect(lead.message?.contentType).toBe("application/octet-stream");
    // Later chunks carry no header part (spec §2.8).
    for (const r of responses.slice(1)) expect(r.response).toBeUndefined();
    const { bytes, seqs } = payloadOf(responses);
    expect(seqs).toEqual(seqs.map((_, i) => BigInt(i)));
    expect(responses.every((r) => (r.payload?.data.byteLength ?? 0) <= CHUNK)).toBe(true);
    expect(sha(bytes)).toBe(sha(body.slice().reverse()));
  });

  it("CallLocalStream with an empty body both ways: one request message, one response message without payload", async () => {
    const { channel, address } = await startCourierServer(async () => response({ status: 204 }));
    const { responses, error } = await grpcJsStream(grpcClient(address), requestStreamMessages(requestHeader(), new Uint8Array(0)));
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    expect(responses[0]!.response?.status?.code).toBe(204);
    expect(responses[0]!.payload).toBeUndefined();
    expect((await readBody(channel.calls[0]!.req.body)).byteLength).toBe(0);
  });

  it("CallLocal unary: body in data.value both ways", async () => {
    const { channel, address } = await startCourierServer(async (req) =>
      response({
        status: 201,
        headers: new Metadata([["X-Echo", "yes"]]),
        contentType: "text/plain",
        dataTypeUrl: "type.googleapis.com/x.Y",
        body: bodyFromBytes(`got ${await bodyText(req.body)} via ${req.verb} ${req.method}?${req.query}`),
      }),
    );
    const { response: res, error } = await grpcJsUnary(
      grpcClient(address),
      CALL_LOCAL_PATH,
      requestHeader({ data: text("hello"), method: "a/./b", verb: HTTPExtension_Verb.DELETE, query: "q=%20" }),
    );
    expect(error).toBeUndefined();
    expect(res!.status?.code).toBe(201);
    expect(res!.headers["X-Echo"]?.values).toEqual(["yes"]);
    expect(res!.message?.contentType).toBe("text/plain");
    expect(res!.message?.data?.typeUrl).toBe("type.googleapis.com/x.Y");
    expect(new TextDecoder().decode(res!.message?.data?.value)).toBe("got hello via DELETE a/b?q=%20");
    expect(channel.calls[0]!.req.contentLength).toBe(5);
  });

  it("CallLocal unary: a 3 MiB body round-trips", async () => {
    const body = pattern(3 * MiB, 3);
    const { address } = await startCourierServer(async (req) => response({ body: bodyFromBytes(await readBody(req.body)) }));
    const { response: res, error } = await grpcJsUnary(grpcClient(address), CALL_LOCAL_PATH, requestHeader({ data: body }));
    expect(error).toBeUndefined();
    expect(sha(res!.message!.data!.value)).toBe(sha(body));
  });

  it.each([
    ["channel error (Internal)", async () => Promise.reject(new Error("dial tcp: ünïcödé 100% ✗")), [], grpc.status.INTERNAL, "error invoking app channel: dial tcp: ünïcödé 100% ✗"],
    [
      "filter (PermissionDenied)",
      async () => response(),
      [
        (() => async () => {
          throw new InvocationError(GrpcCode.PermissionDenied, "access control policy has denied access to id: grpc-js operation: orders/1 verb: PUT");
        }) as Filter,
      ],
      grpc.status.PERMISSION_DENIED,
      "access control policy has denied access to id: grpc-js operation: orders/1 verb: PUT",
    ],
  ] as const)("error status from a %s reaches grpc-js with code and details, stream and unary", async (_, handler, filters, code, details) => {
    const { address } = await startCourierServer(handler, { filters: [...filters] });
    const client = grpcClient(address);
    const stream = await grpcJsStream(client, requestStreamMessages(requestHeader(), text("body")));
    expect(stream.error?.code).toBe(code);
    expect(stream.error?.details).toBe(details);
    const unary = await grpcJsUnary(client, CALL_LOCAL_PATH, requestHeader({ data: text("body") }));
    expect(unary.error?.code).toBe(code);
    expect(unary.error?.details).toBe(details);
  });

  it("InvalidArgument from method normalization reaches grpc-js", async () => {
    const { address } = await startCourierServer(async () => response());
    const client = grpcClient(address);
    const stream = await grpcJsStream(client, requestStreamMessages(requestHeader({ method: "a#b" }), text("x")));
    expect(stream.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(stream.error?.details).toBe('invalid method: method contains forbidden character: "a#b"');
    const unary = await grpcJsUnary(client, CALL_LOCAL_PATH, requestHeader({ method: "a#b" }));
    expect(unary.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("a leading chunk without metadata → InvalidArgument with daprd's text (spec §1.6, §2.8)", async () => {
    const { channel, address } = await startCourierServer(async () => response());
    const header = requestHeader({ metadata: {} });
    const { error } = await grpcJsStream(grpcClient(address), requestStreamMessages(header, text("x")));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe("parsing InternalInvokeRequest error: request does not contain the required fields in the leading chunk");
    expect(channel.calls).toHaveLength(0);
  });

  it("CallLocal without message → InvalidArgument 'field Message is nil' (spec §3.1)", async () => {
    const { address } = await startCourierServer(async () => response());
    const { error } = await grpcJsUnary(grpcClient(address), CALL_LOCAL_PATH, create(InternalInvokeRequestSchema, { metadata: md({ a: ["b"] }) }));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe("parsing InternalInvokeRequest error: field Message is nil");
  });

  it("a wrong payload seq fails the app's body read, and grpc-js gets the framing error", async () => {
    const { address } = await startCourierServer(async (req) => response({ body: bodyFromBytes(await readBody(req.body)) }));
    const messages = requestStreamMessages(requestHeader(), pattern(3 * CHUNK));
    messages[1]!.payload!.seq = 5n;
    const { error } = await grpcJsStream(grpcClient(address), messages);
    expect(error?.code).toBe(grpc.status.UNKNOWN);
    expect(error?.details).toBe("invalid sequence number received: 5 (expected: 1)");
  });

  it("unknown method → grpc-js sees UNIMPLEMENTED", async () => {
    const { address } = await startCourierServer(async () => response());
    const { error } = await grpcJsUnary(grpcClient(address), "/dapr.proto.internals.v1.ServiceInvocation/CallActor", requestHeader());
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("a unary message over the max size → RESOURCE_EXHAUSTED", async () => {
    const { channel, address } = await startCourierServer(async () => response(), { maxMessageSize: 64 * 1024 });
    // The server allows the max plus room for the envelope; this is well past both.
    const { error } = await grpcJsUnary(grpcClient(address), CALL_LOCAL_PATH, requestHeader({ data: pattern(512 * 1024) }));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(channel.calls).toHaveLength(0);
  });

  it("grpc-js's deadline reaches the app, and a slow app ends in DEADLINE_EXCEEDED", async () => {
    const { channel, address } = await startCourierServer(async (_req, ctx) => {
      await Promise.race([aborted(ctx.signal), sleep(5000)]);
      return response();
    });
    const deadline = Date.now() + 400;
    const started = Date.now();
    const { error } = await within(grpcJsUnary(grpcClient(address), CALL_LOCAL_PATH, requestHeader(), { deadline }), 5000, "unary");
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(3000);
    const seen = channel.calls[0]!.ctx.deadline!;
    expect(Math.abs(seen - deadline)).toBeLessThan(100);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "app signal");
  });

  it("grpc-js cancelling the call aborts the app's signal", async () => {
    let entered!: () => void;
    const inApp = new Promise<void>((r) => (entered = r));
    const { channel, address } = await startCourierServer(async (_req, ctx) => {
      entered();
      await aborted(ctx.signal);
      return response();
    });
    const call = grpcClient(address).makeBidiStreamRequest(CALL_LOCAL_STREAM_PATH, requestStreamCodec.serialize, responseStreamCodec.deserialize);
    call.on("error", () => {});
    for (const m of requestStreamMessages(requestHeader(), text("x"))) call.write(m);
    await within(inApp, 5000, "app entered");
    call.cancel();
    const reason = await within(aborted(channel.calls[0]!.ctx.signal), 2000, "app signal");
    expect((reason as InvocationError).code).toBe(GrpcCode.Canceled);
  });

  it("many concurrent grpc-js streams on one channel get their own answers", async () => {
    const { address } = await startCourierServer(async (req) => {
      await sleep(Math.random() * 20);
      return response({ body: bodyFromBytes(`${req.metadata.get("x-id")}:${await bodyText(req.body)}`) });
    });
    const client = grpcClient(address);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const header = requestHeader({ metadata: { "dapr-caller-app-id": ["grpc-js"], "x-id": [String(i)] } });
        const { responses, error } = await grpcJsStream(client, requestStreamMessages(header, text(`body-${i}`.repeat(i + 1))));
        expect(error).toBeUndefined();
        return new TextDecoder().decode(payloadOf(responses).bytes);
      }),
    );
    results.forEach((r, i) => expect(r).toBe(`${i}:${`body-${i}`.repeat(i + 1)}`));
  });
});

// ---------------------------------------------------------------------------------------------
// (b) our InternalGrpcClient → grpc-js server
// ---------------------------------------------------------------------------------------------

type StreamCall = grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>;
type UnaryCall = grpc.ServerUnaryCall<InternalInvokeRequest, InternalInvokeResponse>;

/** A daprd-like echo callee written against grpc-js. */
function echoServerImpl(seen: { streams: { header: InternalInvokeRequest; seqs: bigint[]; deadline: grpc.Deadline }[]; unary: UnaryCall[] }) {
  return {
    CallLocalStream: (call: StreamCall) => {
      let header: InternalInvokeRequest | undefined;
      const seqs: bigint[] = [];
      const parts: Uint8Array[] = [];
      call.on("data", (m: InternalInvokeRequestStream) => {
        if (m.request && header === undefined) header = m.request;
        if (m.payload) {
          seqs.push(m.payload.seq);
          parts.push(m.payload.data);
        }
      });
      call.on("end", () => {
        seen.streams.push({ header: header!, seqs, deadline: call.getDeadline() });
        const fail = header?.metadata["x-fail"]?.values[0];
        if (fail) {
          call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: fail });
          return;
        }
        const body = concat(parts);
        const out = requestStreamMessages(header!, body).map((m, i) =>
          create(InternalInvokeResponseStreamSchema, {
            response:
              i === 0
                ? create(InternalInvokeResponseSchema, {
                    status: create(StatusSchema, { code: 200 }),
                    headers: md({ "x-echo-method": [header!.message!.method], "x-seq-count": [String(seqs.length)] }),
                    message: create(InvokeResponseSchema, { contentType: header!.message!.contentType }),
                  })
                : undefined,
            payload: m.payload,
          }),
        );
        for (const m of out) call.write(m);
        call.end();
      });
    },
    CallLocal: (call: UnaryCall, callback: grpc.sendUnaryData<InternalInvokeResponse>) => {
      seen.unary.push(call);
      const fail = call.request.metadata["x-fail"]?.values[0];
      if (fail) return callback({ code: grpc.status.INTERNAL, details: fail });
      const data = call.request.message?.data?.value ?? new Uint8Array(0);
      callback(
        null,
        create(InternalInvokeResponseSchema, {
          status: create(StatusSchema, { code: 200 }),
          headers: md({ "x-unary": ["yes"], "x-echo-method": [call.request.message?.method ?? ""] }),
          message: create(InvokeResponseSchema, { contentType: "text/plain", data: create(AnySchema, { value: data }) }),
        }),
      );
    },
  };
}

describe("Courier InternalGrpcClient → grpc-js server", () => {
  it("CallLocalStream echo: leading chunk fields and seq numbers as daprd expects; the answer comes back byte-exact", async () => {
    const seen = { streams: [] as { header: InternalInvokeRequest; seqs: bigint[]; deadline: grpc.Deadline }[], unary: [] as UnaryCall[] };
    const { address } = await startGrpcServer(serviceInvocationDefinition, echoServerImpl(seen));
    const body = pattern(300 * 1024 + 1, 9);
    const res = await newClient().invoke(
      address,
      request({
        method: "api/echo",
        verb: "PUT",
        query: "a=b",
        contentType: "application/x-test",
        metadata: new Metadata([
          ["dapr-caller-app-id", "caller"],
          ["X-Unicode", "ünï"],
        ]),
        body: bodyFromBytes(body),
        contentLength: body.byteLength,
      }),
      context(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo-method")).toBe("api/echo");
    expect(res.contentType).toBe("application/x-test");
    expect(sha(await readBody(res.body))).toBe(sha(body));

    const { header, seqs } = seen.streams[0]!;
    expect(header.ver).toBe(APIVersion.V1);
    expect(header.message?.method).toBe("api/echo");
    expect(header.message?.httpExtension?.verb).toBe(HTTPExtension_Verb.PUT);
    expect(header.message?.httpExtension?.querystring).toBe("a=b");
    // In the stream the body travels as payloads, never in data.value (spec §2.8 rule 1).
    expect(header.message?.data?.value.byteLength ?? 0).toBe(0);
    expect(header.metadata["X-Unicode"]?.values).toEqual(["ünï"]);
    expect(seqs).toEqual(Array.from({ length: Math.ceil(body.byteLength / CHUNK) }, (_, i) => BigInt(i)));
    expect(res.headers.get("x-seq-count")).toBe(String(seqs.length));
    expect(seen.unary).toHaveLength(0);
  });

  it("8 MiB streamed both ways through grpc-js", async () => {
    const seen = { streams: [] as never[], unary: [] as UnaryCall[] };
    const { address } = await startGrpcServer(serviceInvocationDefinition, echoServerImpl(seen as never));
    const body = pattern(8 * MiB, 5);
    const res = await within(newClient().invoke(address, request({ body: bodyFromBytes(body) }), context()), 30_000, "8 MiB");
    expect(sha(await readBody(res.body))).toBe(sha(body));
  }, 60_000);

  it("an error status from grpc-js arrives as InvocationError with its code and (non-ASCII) message", async () => {
    const seen = { streams: [] as never[], unary: [] as UnaryCall[] };
    const { address } = await startGrpcServer(serviceInvocationDefinition, echoServerImpl(seen as never));
    const err = await rejection(
      newClient().invoke(
        address,
        request({ metadata: new Metadata([["dapr-caller-app-id", "c"], ["x-fail", "précondition échouée 100%"]]), body: bodyFromBytes("x") }),
        context(),
      ),
    );
    expect(err.code).toBe(GrpcCode.FailedPrecondition);
    expect(err.message).toBe("précondition échouée 100%");
  });

  it("the deadline reaches the grpc-js server (call.getDeadline())", async () => {
    const seen = { streams: [] as { header: InternalInvokeRequest; seqs: bigint[]; deadline: grpc.Deadline }[], unary: [] as UnaryCall[] };
    const { address } = await startGrpcServer(serviceInvocationDefinition, echoServerImpl(seen));
    const deadline = Date.now() + 5000;
    await newClient().invoke(address, request({ body: bodyFromBytes("x") }), context({ deadline }));
    const got = seen.streams[0]!.deadline;
    const ms = got instanceof Date ? got.getTime() : got;
    expect(Math.abs(ms - deadline)).toBeLessThan(100);
  });

  it("a grpc-js server slower than the deadline → DeadlineExceeded at about the deadline", async () => {
    const { address } = await startGrpcServer(serviceInvocationDefinition, {
      CallLocalStream: (call: StreamCall) => {
        call.on("data", () => {});
        call.on("error", () => {});
        // Never answers.
      },
      CallLocal: () => {},
    });
    const started = Date.now();
    const err = await rejection(newClient().invoke(address, request(), context({ deadline: started + 300 })), 3000);
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("grpc-js server shut down under a call → Unavailable", async () => {
    let entered!: () => void;
    const inServer = new Promise<void>((r) => (entered = r));
    const { server, address } = await startGrpcServer(serviceInvocationDefinition, {
      CallLocalStream: (call: StreamCall) => {
        call.on("data", () => entered());
        call.on("error", () => {});
      },
      CallLocal: () => {},
    });
    const failed = rejection(newClient().invoke(address, request({ body: bodyFromBytes("x") }), context()), 5000);
    await within(inServer, 5000, "server entered");
    server.forceShutdown();
    expect((await failed).code).toBe(GrpcCode.Unavailable);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) unary fallback against a grpc-js server without CallLocalStream (an old daprd)
// ---------------------------------------------------------------------------------------------

describe("unary CallLocal fallback (spec §2.8) against a grpc-js server without CallLocalStream", () => {
  async function oldDaprd() {
    const seen = { streams: [] as never[], unary: [] as UnaryCall[] };
    const impl = echoServerImpl(seen as never);
    const { address } = await startGrpcServer({ CallLocal: serviceInvocationDefinition.CallLocal }, { CallLocal: impl.CallLocal });
    return { seen, address };
  }

  it("a known-length body falls back to CallLocal; the address is remembered for the next call", async () => {
    const paths = spyOnPaths();
    const { seen, address } = await oldDaprd();
    const client = newClient();
    const body = pattern(1 * MiB + 3, 2);
    const res = await client.invoke(
      address,
      request({ method: "api/old", body: bodyFromBytes(body), contentLength: body.byteLength }),
      context(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-unary")).toBe("yes");
    expect(res.contentType).toBe("text/plain");
    expect(sha(await readBody(res.body))).toBe(sha(body));
    expect(seen.unary).toHaveLength(1);
    expect(seen.unary[0]!.request.message?.method).toBe("api/old");
    expect(sha(seen.unary[0]!.request.message!.data!.value)).toBe(sha(body));
    expect(paths).toEqual([CALL_LOCAL_STREAM_PATH, CALL_LOCAL_PATH]);

    // Second call: straight to CallLocal.
    const res2 = await client.invoke(address, request({ body: bodyFromBytes("again"), contentLength: 5 }), context());
    expect(await bodyText(res2.body)).toBe("again");
    expect(paths).toEqual([CALL_LOCAL_STREAM_PATH, CALL_LOCAL_PATH, CALL_LOCAL_PATH]);
    expect(seen.unary).toHaveLength(2);
  });

  it("a body read from a source once is replayed for the fallback (the source is not read twice)", async () => {
    const { address } = await oldDaprd();
    let reads = 0;
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        reads++;
        yield text("part1-");
        await sleep(20);
        yield text("part2");
      },
    };
    const res = await newClient().invoke(address, request({ body, contentLength: 11 }), context());
    expect(await bodyText(res.body)).toBe("part1-part2");
    expect(reads).toBe(1);
  });

  it("a streaming body (unknown length) cannot fall back: 'does not support streaming-based service invocation'", async () => {
    const { seen, address } = await oldDaprd();
    const err = await rejection(newClient().invoke(address, request({ body: bodyFromBytes("stream") }), context()));
    expect(err.message).toBe("target app 'callee' is running a version of Dapr that does not support streaming-based service invocation");
    expect(err.code).toBe(GrpcCode.Unimplemented);
    expect(seen.unary).toHaveLength(0);
  });

  it("a streaming (or too large) body fails the same way once the address is remembered as unary-only", async () => {
    const { seen, address } = await oldDaprd();
    const client = newClient();
    await client.invoke(address, request({ body: bodyFromBytes("known"), contentLength: 5 }), context());
    const err = await rejection(client.invoke(address, request({ body: bodyFromBytes("stream") }), context()));
    expect(err.message).toBe("target app 'callee' is running a version of Dapr that does not support streaming-based service invocation");
    const big = pattern(MAX + 1);
    const tooBig = await rejection(client.invoke(address, request({ body: bodyFromBytes(big), contentLength: big.byteLength }), context()));
    expect(tooBig.message).toBe(err.message);
    expect(seen.unary).toHaveLength(1);
  });

  it("a known-length body larger than the max message size cannot go unary either", async () => {
    const { seen, address } = await oldDaprd();
    const big = pattern(MAX + 1);
    const err = await rejection(newClient().invoke(address, request({ body: bodyFromBytes(big), contentLength: big.byteLength }), context()));
    expect(err.message).toBe("target app 'callee' is running a version of Dapr that does not support streaming-based service invocation");
    expect(seen.unary).toHaveLength(0);
  });

  it("reset(address) forgets the verdict: the next call probes CallLocalStream again", async () => {
    const paths = spyOnPaths();
    const { address } = await oldDaprd();
    const client = newClient();
    await client.invoke(address, request({ body: bodyFromBytes("a"), contentLength: 1 }), context());
    client.reset(address);
    await client.invoke(address, request({ body: bodyFromBytes("b"), contentLength: 1 }), context());
    expect(paths).toEqual([CALL_LOCAL_STREAM_PATH, CALL_LOCAL_PATH, CALL_LOCAL_STREAM_PATH, CALL_LOCAL_PATH]);
  });

  it("an error status from the old daprd's CallLocal arrives with code and message", async () => {
    const { address } = await oldDaprd();
    const err = await rejection(
      newClient().invoke(
        address,
        request({ metadata: new Metadata([["dapr-caller-app-id", "c"], ["x-fail", "error invoking app channel: ü 100%"]]), body: bodyFromBytes("x"), contentLength: 1 }),
        context(),
      ),
    );
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe("error invoking app channel: ü 100%");
  });

  it("the deadline reaches the old daprd's CallLocal too", async () => {
    const { seen, address } = await oldDaprd();
    const deadline = Date.now() + 5000;
    await newClient().invoke(address, request({ body: bodyFromBytes("x"), contentLength: 1 }), context({ deadline }));
    const got = seen.unary[0]!.getDeadline();
    const ms = got instanceof Date ? got.getTime() : got;
    expect(Math.abs(ms - deadline)).toBeLessThan(100);
  });
});
