import type { InternalInvokeRequestStream } from "@courier/protos";
import { describe, expect, it } from "vitest";
import { bodyFromBytes, emptyBody, type BodyStream } from "../model/body.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { writeRequestStream, writeResponseStream } from "./call-local-stream-writer.js";

function request(body: BodyStream): InvokeRequest {
  return {
    method: "orders",
    verb: "PUT",
    query: "x=1",
    contentType: "application/octet-stream",
    dataTypeUrl: "type.googleapis.com/demo.Order",
    metadata: new Metadata({ "dapr-caller-app-id": "a", "dapr-callee-app-id": "b" }),
    body,
  };
}

function response(body: BodyStream): InvokeResponse {
  return {
    status: 200,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata({ "Content-Type": "text/plain" }),
    trailers: new Metadata(),
    contentType: "text/plain",
    dataTypeUrl: "t/u",
    body,
  };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

function bytes(n: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 7) % 256);
}

describe("writeRequestStream (spec §2.8 sender)", () => {
  it("sends one header-only message for an empty body", async () => {
    const messages = await collect(writeRequestStream(request(emptyBody())));
    expect(messages).toHaveLength(1);
    const [only] = messages as [InternalInvokeRequestStream];
    expect(only.payload).toBeUndefined();
    expect(only.request?.message?.method).toBe("orders");
    expect(only.request?.message?.data?.typeUrl).toBe("type.googleapis.com/demo.Order");
    expect(only.request?.message?.data?.value).toEqual(new Uint8Array(0));
    expect(only.request?.metadata["dapr-callee-app-id"]?.values).toEqual(["b"]);
  });

  it("puts the header and the first chunk in the first message, then payloads only", async () => {
    const body = bytes(5000);
    const messages = await collect(writeRequestStream(request(bodyFromBytes(body))));
    expect(messages).toHaveLength(3);
    expect(messages[0]!.request?.message?.httpExtension?.querystring).toBe("x=1");
    expect(messages[0]!.request?.message?.data?.value.byteLength).toBe(0);
    expect(messages.slice(1).every((m) => m.request === undefined)).toBe(true);
    expect(messages.map((m) => m.payload?.seq)).toEqual([0n, 1n, 2n]);
    expect(messages.map((m) => m.payload?.data.byteLength)).toEqual([2048, 2048, 904]);
    expect(Buffer.concat(messages.map((m) => m.payload!.data)).equals(Buffer.from(body))).toBe(true);
  });

  it("does not touch the body before the transport asks for the first message", async () => {
    let pulls = 0;
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        pulls++;
        yield bytes(1);
      },
    };
    const messages = writeRequestStream(request(body));
    await new Promise((r) => setTimeout(r, 5));
    expect(pulls).toBe(0);
    await collect(messages);
    expect(pulls).toBe(1);
  });

  it("never pulls more than one chunk ahead of the consumer", async () => {
    let pulled = 0;
    let consumed = 0;
    const maxAhead: number[] = [];
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 20; i++) {
          pulled++;
          maxAhead.push(pulled - consumed);
          yield bytes(i % 3 === 0 ? 5000 : 700);
        }
      },
    };
    const it = writeRequestStream(request(body));
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      consumed++;
      // Let any eager read-ahead happen before checking.
      await new Promise((r) => setImmediate(r));
      expect(pulled).toBeLessThanOrEqual(consumed + 1);
    }
    expect(Math.max(...maxAhead)).toBeLessThanOrEqual(1);
    expect(pulled).toBe(20);
  });

  it("closes the body when the transport stops early", async () => {
    let closed = false;
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) yield bytes(10);
        } finally {
          closed = true;
        }
      },
    };
    const it = writeRequestStream(request(body));
    await it.next();
    await it.return();
    expect(closed).toBe(true);
  });

  it("fails the message stream when the body fails", async () => {
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield bytes(10);
        throw new Error("client went away");
      },
    };
    await expect(collect(writeRequestStream(request(body)))).rejects.toThrow("client went away");
  });
});

describe("writeResponseStream (spec §2.8 sender, §3.2)", () => {
  it("sends one header-only message for an empty body", async () => {
    const messages = await collect(writeResponseStream(response(emptyBody())));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.payload).toBeUndefined();
    expect(messages[0]!.response?.status?.code).toBe(200);
    expect(messages[0]!.response?.headers["Content-Type"]?.values).toEqual(["text/plain"]);
    expect(messages[0]!.response?.message?.data?.typeUrl).toBe("t/u");
    expect(messages[0]!.response?.message?.data?.value).toEqual(new Uint8Array(0));
  });

  it("keeps the source's chunk boundaries below 2 KiB and numbers payloads from 0", async () => {
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield bytes(10);
        yield bytes(3000);
        yield bytes(1);
      },
    };
    const messages = await collect(writeResponseStream(response(body)));
    expect(messages.map((m) => [m.response !== undefined, m.payload?.seq, m.payload?.data.byteLength])).toEqual([
      [true, 0n, 10],
      [false, 1n, 2048],
      [false, 2n, 952],
      [false, 3n, 1],
    ]);
  });
});
