import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { InternalInvokeRequestStreamSchema, InternalInvokeResponseStreamSchema } from "@courier/protos";
import { describe, expect, it } from "vitest";
import { readBody, type BodyStream } from "../model/body.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { readRequestStream, readResponseStream } from "./call-local-stream-reader.js";
import { writeRequestStream, writeResponseStream } from "./call-local-stream-writer.js";
import { fromInternalRequest, fromInternalResponse } from "./proto-convert.js";

/** Encodes and decodes every message, recording what went over the "wire". */
async function* overTheWire<D extends DescMessage>(schema: D, messages: AsyncIterable<MessageShape<D>>, seen: MessageShape<D>[]) {
  for await (const message of messages) {
    const decoded = fromBinary(schema, toBinary(schema, message));
    seen.push(decoded);
    yield decoded;
  }
}

function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

function sourceOf(bytes: Uint8Array, pieceSize: number): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (let offset = 0; offset < bytes.byteLength; offset += pieceSize) yield bytes.slice(offset, offset + pieceSize);
    },
  };
}

const SIZES: [string, number][] = [
  ["empty", 0],
  ["1 byte", 1],
  ["exactly 2048", 2048],
  ["2049", 2049],
  ["1 MiB", 1024 * 1024],
];

describe("CallLocalStream request round trip (spec §2.8)", () => {
  it.each(SIZES)("%s body arrives byte for byte with seq 0..n", async (_, size) => {
    const bytes = pattern(size);
    const req: InvokeRequest = {
      method: "upload",
      verb: "POST",
      query: "mode=fast",
      contentType: "application/octet-stream",
      dataTypeUrl: "",
      metadata: new Metadata([
        ["dapr-caller-app-id", "a"],
        ["X-Multi", ["1", "2", "3"]],
      ]),
      body: sourceOf(bytes, Math.max(size, 1)),
    };
    const seen: MessageShape<typeof InternalInvokeRequestStreamSchema>[] = [];
    const { request, body } = await readRequestStream(overTheWire(InternalInvokeRequestStreamSchema, writeRequestStream(req), seen));
    const received = fromInternalRequest(request, body);
    const got = await readBody(received.body);

    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    const expectedChunks = Math.ceil(size / 2048);
    expect(seen).toHaveLength(Math.max(expectedChunks, 1));
    expect(seen.filter((m) => m.payload).map((m) => m.payload!.seq)).toEqual(Array.from({ length: expectedChunks }, (_, i) => BigInt(i)));
    expect(seen.every((m) => (m.payload?.data.byteLength ?? 0) <= 2048)).toBe(true);
    // The first message is header + first chunk; later ones carry no header.
    expect(seen[0]!.request?.message?.method).toBe("upload");
    expect(seen[0]!.payload?.data.byteLength).toBe(size === 0 ? undefined : Math.min(size, 2048));
    expect(seen.slice(1).every((m) => m.request === undefined)).toBe(true);

    expect(received.method).toBe("upload");
    expect(received.verb).toBe("POST");
    expect(received.query).toBe("mode=fast");
    expect(received.metadata.getAll("x-multi")).toEqual(["1", "2", "3"]);
  });

  it("keeps the source's chunking when it is finer than 2 KiB", async () => {
    const bytes = pattern(10_000);
    const seen: MessageShape<typeof InternalInvokeRequestStreamSchema>[] = [];
    const req: InvokeRequest = {
      method: "m",
      verb: "PUT",
      query: "",
      contentType: "",
      dataTypeUrl: "",
      metadata: new Metadata({ k: "v" }),
      body: sourceOf(bytes, 3000),
    };
    const { body } = await readRequestStream(overTheWire(InternalInvokeRequestStreamSchema, writeRequestStream(req), seen));
    expect(Buffer.from(await readBody(body)).equals(Buffer.from(bytes))).toBe(true);
    expect(seen.map((m) => m.payload?.data.byteLength)).toEqual([2048, 952, 2048, 952, 2048, 952, 1000]);
  });
});

describe("CallLocalStream response round trip (spec §2.8, §3.2)", () => {
  it.each(SIZES)("%s body arrives byte for byte with seq 0..n", async (_, size) => {
    const bytes = pattern(size);
    const res: InvokeResponse = {
      status: 207,
      statusMessage: "",
      statusDetails: [],
      headers: new Metadata([["Set-Cookie", ["a=1", "b=2"]]]),
      trailers: new Metadata({ "grpc-status-details": "x" }),
      contentType: "application/x-protobuf",
      dataTypeUrl: "type.googleapis.com/demo.Reply",
      body: sourceOf(bytes, Math.max(size, 1)),
    };
    const seen: MessageShape<typeof InternalInvokeResponseStreamSchema>[] = [];
    const { response, body } = await readResponseStream(overTheWire(InternalInvokeResponseStreamSchema, writeResponseStream(res), seen));
    const received = fromInternalResponse(response, body);

    expect(Buffer.from(await readBody(received.body)).equals(Buffer.from(bytes))).toBe(true);
    const expectedChunks = Math.ceil(size / 2048);
    expect(seen).toHaveLength(Math.max(expectedChunks, 1));
    expect(seen.filter((m) => m.payload).map((m) => m.payload!.seq)).toEqual(Array.from({ length: expectedChunks }, (_, i) => BigInt(i)));
    expect(seen[0]!.response?.status?.code).toBe(207);
    expect(seen[0]!.response?.message?.data?.value.byteLength).toBe(0);
    expect(seen.slice(1).every((m) => m.response === undefined)).toBe(true);

    expect(received.status).toBe(207);
    expect(received.headers.getAll("set-cookie")).toEqual(["a=1", "b=2"]);
    expect(received.trailers.get("grpc-status-details")).toBe("x");
    expect(received.contentType).toBe("application/x-protobuf");
    expect(received.dataTypeUrl).toBe("type.googleapis.com/demo.Reply");
  });
});
