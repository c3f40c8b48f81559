import { create } from "@bufbuild/protobuf";
import {
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
  InvokeRequestSchema,
  InvokeResponseSchema,
  ListStringValueSchema,
  StatusSchema,
  StreamPayloadSchema,
  type InternalInvokeRequestStream,
  type InternalInvokeResponseStream,
  type StreamPayload,
} from "@courier/protos";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { readBody } from "../model/body.js";
import { readRequestStream, readResponseStream } from "./call-local-stream-reader.js";

/** A message stream the test feeds by hand; records pulls and whether the reader closed it. */
class ManualStream<T> implements AsyncIterable<T> {
  pulls = 0;
  returned = false;
  readonly #items: T[] = [];
  readonly #waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  #ended = false;
  #error: unknown = undefined;

  push(...items: T[]): this {
    for (const item of items) {
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve({ done: false, value: item });
      else this.#items.push(item);
    }
    return this;
  }

  end(): this {
    this.#ended = true;
    for (const waiter of this.#waiting.splice(0)) waiter.resolve({ done: true, value: undefined });
    return this;
  }

  fail(error: unknown): this {
    this.#error = error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    return this;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        this.pulls++;
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ done: false, value: item });
        if (this.#error !== undefined) return Promise.reject(this.#error);
        if (this.#ended || this.returned) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
      },
      return: () => {
        this.returned = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

const enc = new TextEncoder();

function payload(seq: bigint, text: string): StreamPayload {
  return create(StreamPayloadSchema, { seq, data: enc.encode(text) });
}

function leadingRequest(p?: StreamPayload): InternalInvokeRequestStream {
  return create(InternalInvokeRequestStreamSchema, {
    request: create(InternalInvokeRequestSchema, {
      metadata: { "dapr-caller-app-id": create(ListStringValueSchema, { values: ["a"] }) },
      message: create(InvokeRequestSchema, { method: "m" }),
    }),
    payload: p,
  });
}

function requestPayload(seq: bigint, text: string): InternalInvokeRequestStream {
  return create(InternalInvokeRequestStreamSchema, { payload: payload(seq, text) });
}

function leadingResponse(p?: StreamPayload): InternalInvokeResponseStream {
  return create(InternalInvokeResponseStreamSchema, {
    response: create(InternalInvokeResponseSchema, { status: create(StatusSchema, { code: 200 }) }),
    payload: p,
  });
}

function responsePayload(seq: bigint, text: string): InternalInvokeResponseStream {
  return create(InternalInvokeResponseStreamSchema, { payload: payload(seq, text) });
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(await readBody(body));
}

async function expectInvocationError(promise: Promise<unknown>, code: GrpcCode, message: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvocationError);
  expect((err as InvocationError).code).toBe(code);
  expect((err as InvocationError).message).toBe(message);
}

const LEADING_REQUEST_ERROR =
  "parsing InternalInvokeRequest error: request does not contain the required fields in the leading chunk";

describe("readRequestStream: leading chunk (spec §2.8, §1.6)", () => {
  it("returns the header part and a body that starts with the leading payload", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>()
      .push(leadingRequest(payload(0n, "he")), requestPayload(1n, "llo"))
      .end();
    const { request, body } = await readRequestStream(stream);
    expect(request.message?.method).toBe("m");
    expect(request.metadata["dapr-caller-app-id"]?.values).toEqual(["a"]);
    expect(await text(body)).toBe("hello");
  });

  it.each([
    ["no request at all", create(InternalInvokeRequestStreamSchema, { payload: payload(0n, "x") })],
    [
      "empty metadata",
      create(InternalInvokeRequestStreamSchema, {
        request: create(InternalInvokeRequestSchema, { message: create(InvokeRequestSchema, { method: "m" }) }),
      }),
    ],
    [
      "no message",
      create(InternalInvokeRequestStreamSchema, {
        request: create(InternalInvokeRequestSchema, { metadata: { k: create(ListStringValueSchema, { values: ["v"] }) } }),
      }),
    ],
  ])("rejects a leading chunk with %s and closes the stream", async (_, leading) => {
    const stream = new ManualStream<InternalInvokeRequestStream>().push(leading);
    await expectInvocationError(readRequestStream(stream), GrpcCode.InvalidArgument, LEADING_REQUEST_ERROR);
    expect(stream.returned).toBe(true);
  });

  it("rejects a stream that ends without any message", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>().end();
    await expectInvocationError(
      readRequestStream(stream),
      GrpcCode.InvalidArgument,
      "parsing InternalInvokeRequest error: request stream ended before the leading chunk",
    );
  });

  it("passes a transport error while waiting for the leading chunk", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>().fail(new Error("reset"));
    await expect(readRequestStream(stream)).rejects.toThrow("reset");
  });
});

describe("readResponseStream: leading chunk (spec §2.8)", () => {
  it("returns the header part and the body", async () => {
    const stream = new ManualStream<InternalInvokeResponseStream>().push(leadingResponse(payload(0n, "ok"))).end();
    const { response, body } = await readResponseStream(stream);
    expect(response.status?.code).toBe(200);
    expect(await text(body)).toBe("ok");
  });

  it.each([
    ["no response at all", create(InternalInvokeResponseStreamSchema, { payload: payload(0n, "x") })],
    [
      "no status",
      create(InternalInvokeResponseStreamSchema, {
        response: create(InternalInvokeResponseSchema, { message: create(InvokeResponseSchema, { contentType: "a/b" }) }),
      }),
    ],
  ])("rejects a leading chunk with %s and closes the stream", async (_, leading) => {
    const stream = new ManualStream<InternalInvokeResponseStream>().push(leading);
    await expectInvocationError(
      readResponseStream(stream),
      GrpcCode.Unknown,
      "response does not contain the required fields in the leading chunk",
    );
    expect(stream.returned).toBe(true);
  });

  it("accepts status code 0 (a gRPC OK), which is still a present status", async () => {
    const leading = create(InternalInvokeResponseStreamSchema, {
      response: create(InternalInvokeResponseSchema, { status: create(StatusSchema, { code: 0 }) }),
    });
    const { response, body } = await readResponseStream(new ManualStream<InternalInvokeResponseStream>().push(leading).end());
    expect(response.status?.code).toBe(0);
    expect(await text(body)).toBe("");
  });

  it("rejects a stream that ends without any message", async () => {
    await expectInvocationError(
      readResponseStream(new ManualStream<InternalInvokeResponseStream>().end()),
      GrpcCode.Unknown,
      "response stream ended before the leading chunk",
    );
  });
});

describe("body: sequence numbers (spec §2.8, §1.6)", () => {
  async function bodyError(messages: InternalInvokeResponseStream[]): Promise<{ received: string; error: unknown }> {
    const stream = new ManualStream<InternalInvokeResponseStream>().push(...messages).end();
    const { body } = await readResponseStream(stream);
    let received = "";
    try {
      for await (const chunk of body) received += new TextDecoder().decode(chunk);
    } catch (error) {
      return { received, error };
    }
    return { received, error: undefined };
  }

  it("fails on a gap, after passing on the good bytes only", async () => {
    const { received, error } = await bodyError([leadingResponse(payload(0n, "a")), responsePayload(1n, "b"), responsePayload(3n, "d")]);
    expect(received).toBe("ab");
    expect(error).toBeInstanceOf(InvocationError);
    expect((error as Error).message).toBe("invalid sequence number received: 3 (expected: 2)");
  });

  it("fails on a repeat", async () => {
    const { received, error } = await bodyError([leadingResponse(payload(0n, "a")), responsePayload(0n, "a")]);
    expect(received).toBe("a");
    expect((error as Error).message).toBe("invalid sequence number received: 0 (expected: 1)");
  });

  it("fails when the first payload does not start at 0", async () => {
    const { received, error } = await bodyError([leadingResponse(payload(1n, "a"))]);
    expect(received).toBe("");
    expect((error as Error).message).toBe("invalid sequence number received: 1 (expected: 0)");
  });

  it("checks request payloads the same way", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>().push(leadingRequest(), requestPayload(1n, "x")).end();
    const { body } = await readRequestStream(stream);
    await expect(text(body)).rejects.toThrow("invalid sequence number received: 1 (expected: 0)");
    expect(stream.returned).toBe(true);
  });

  it("lets messages without payload through and counts empty payloads", async () => {
    const { received, error } = await bodyError([
      leadingResponse(),
      create(InternalInvokeResponseStreamSchema, {}),
      responsePayload(0n, "a"),
      create(InternalInvokeResponseStreamSchema, { payload: create(StreamPayloadSchema, { seq: 1n }) }),
      responsePayload(2n, "c"),
    ]);
    expect(error).toBeUndefined();
    expect(received).toBe("ac");
  });

  it("handles seq values past 2^53", async () => {
    const messages = [leadingResponse(payload(0n, "a"))];
    const { error } = await bodyError([...messages, responsePayload(2n ** 64n - 1n, "z")]);
    expect((error as Error).message).toBe(`invalid sequence number received: ${2n ** 64n - 1n} (expected: 1)`);
  });
});

describe("body: header parts in non-leading chunks (spec §2.8, §1.6)", () => {
  const REQUEST_ERROR = "request metadata found in non-leading chunk";
  const RESPONSE_ERROR = "response metadata found in non-leading chunk";

  it.each([
    ["metadata", create(InternalInvokeRequestSchema, { metadata: { k: create(ListStringValueSchema, { values: ["v"] }) } })],
    ["message", create(InternalInvokeRequestSchema, { message: create(InvokeRequestSchema, {}) })],
  ])("request: fails on %s", async (_, request) => {
    const stream = new ManualStream<InternalInvokeRequestStream>()
      .push(leadingRequest(payload(0n, "a")), create(InternalInvokeRequestStreamSchema, { request, payload: payload(1n, "b") }))
      .end();
    const { body } = await readRequestStream(stream);
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of body) seen.push(new TextDecoder().decode(chunk));
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["a"]);
    expect(err).toBeInstanceOf(InvocationError);
    expect((err as Error).message).toBe(REQUEST_ERROR);
    expect(stream.returned).toBe(true);
  });

  it("request: an empty request sub-message is allowed", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>()
      .push(leadingRequest(payload(0n, "a")), create(InternalInvokeRequestStreamSchema, { request: create(InternalInvokeRequestSchema, { ver: 1 }), payload: payload(1n, "b") }))
      .end();
    const { body } = await readRequestStream(stream);
    expect(await text(body)).toBe("ab");
  });

  it.each([
    ["status", create(InternalInvokeResponseSchema, { status: create(StatusSchema, { code: 200 }) })],
    ["headers", create(InternalInvokeResponseSchema, { headers: { k: create(ListStringValueSchema, { values: ["v"] }) } })],
    ["message", create(InternalInvokeResponseSchema, { message: create(InvokeResponseSchema, {}) })],
  ])("response: fails on %s", async (_, response) => {
    const stream = new ManualStream<InternalInvokeResponseStream>()
      .push(leadingResponse(payload(0n, "a")), create(InternalInvokeResponseStreamSchema, { response, payload: payload(1n, "b") }))
      .end();
    const { body } = await readResponseStream(stream);
    await expectInvocationError(text(body), GrpcCode.Unknown, RESPONSE_ERROR);
  });

  it("response: a present-but-empty response sub-message is allowed (daprd's SSE writer)", async () => {
    const stream = new ManualStream<InternalInvokeResponseStream>()
      .push(
        leadingResponse(payload(0n, "data: 1\n\n")),
        create(InternalInvokeResponseStreamSchema, { response: create(InternalInvokeResponseSchema), payload: payload(1n, "data: 2\n\n") }),
        create(InternalInvokeResponseStreamSchema, { response: create(InternalInvokeResponseSchema), payload: payload(2n, "data: 3\n\n") }),
      )
      .end();
    const { body } = await readResponseStream(stream);
    expect(await text(body)).toBe("data: 1\n\ndata: 2\n\ndata: 3\n\n");
  });

  it("response: trailers alone in a later chunk are ignored, as daprd does", async () => {
    const stream = new ManualStream<InternalInvokeResponseStream>()
      .push(
        leadingResponse(payload(0n, "a")),
        create(InternalInvokeResponseStreamSchema, {
          response: create(InternalInvokeResponseSchema, { trailers: { t: create(ListStringValueSchema, { values: ["1"] }) } }),
        }),
      )
      .end();
    const { body } = await readResponseStream(stream);
    expect(await text(body)).toBe("a");
  });
});

describe("body: streaming behaviour", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  it("resolves on the leading message and pulls the rest only as the body is read", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>();
    const pending = readRequestStream(stream);
    stream.push(leadingRequest(payload(0n, "first ")));
    const { body } = await pending;
    // No read-ahead: only the leading message was taken.
    expect(stream.pulls).toBe(1);

    const it = body[Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await it.next()).value)).toBe("first ");
    expect(stream.pulls).toBe(1);

    const second = it.next();
    await new Promise((r) => setImmediate(r));
    expect(stream.waiting).toBe(1);
    stream.push(requestPayload(1n, "second"));
    expect(new TextDecoder().decode((await second).value)).toBe("second");

    const end = it.next();
    stream.push(create(InternalInvokeRequestStreamSchema, {}));
    await new Promise((r) => setImmediate(r));
    stream.end();
    expect((await end).done).toBe(true);
    expect(stream.returned).toBe(false);
  });

  it("resolves the response before the rest of the stream exists", async () => {
    const stream = new ManualStream<InternalInvokeResponseStream>();
    const pending = readResponseStream(stream);
    let resolved = false;
    void pending.then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    stream.push(leadingResponse());
    const { response, body } = await pending;
    expect(response.status?.code).toBe(200);
    const reading = text(body);
    stream.push(responsePayload(0n, "late"));
    stream.end();
    expect(await reading).toBe("late");
  });

  it("surfaces a transport error to whoever reads the body", async () => {
    const stream = new ManualStream<InternalInvokeResponseStream>().push(leadingResponse(payload(0n, "a")));
    const { body } = await readResponseStream(stream);
    const reading = text(body);
    stream.fail(new Error("stream reset"));
    await expect(reading).rejects.toThrow("stream reset");
  });

  it("does not raise an unhandled rejection when a failing body is never read", async () => {
    const req = new ManualStream<InternalInvokeRequestStream>().push(leadingRequest(payload(5n, "bad"))).fail(new Error("reset"));
    const res = new ManualStream<InternalInvokeResponseStream>()
      .push(leadingResponse(), create(InternalInvokeResponseStreamSchema, { response: create(InternalInvokeResponseSchema, { status: create(StatusSchema) }) }))
      .end();
    await readRequestStream(req);
    await readResponseStream(res);
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled).toEqual([]);
  });

  it("closes the message stream when the reader stops early", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>().push(leadingRequest(payload(0n, "a")), requestPayload(1n, "b"));
    const { body } = await readRequestStream(stream);
    for await (const _ of body) break;
    expect(stream.returned).toBe(true);
  });

  it("can be read only once", async () => {
    const stream = new ManualStream<InternalInvokeRequestStream>().push(leadingRequest()).end();
    const { body } = await readRequestStream(stream);
    expect(await text(body)).toBe("");
    expect(() => body[Symbol.asyncIterator]()).toThrow("read only once");
  });
});
