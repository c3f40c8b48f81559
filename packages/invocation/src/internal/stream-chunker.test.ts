import { describe, expect, it } from "vitest";
import type { BodyStream } from "../model/body.js";
import { CALL_LOCAL_STREAM_CHUNK_SIZE, chunkBody } from "./stream-chunker.js";

function bodyOf(...chunks: Uint8Array[]): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      yield* chunks;
    },
  };
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe("chunkBody", () => {
  it("uses daprd's 2 KiB buffer by default (spec §2.8)", () => {
    expect(CALL_LOCAL_STREAM_CHUNK_SIZE).toBe(2048);
  });

  it("slices a large chunk into views of at most 2048 bytes without copying", async () => {
    const big = new Uint8Array(5000).map((_, i) => i % 251);
    const pieces = await collect(chunkBody(bodyOf(big)));
    expect(pieces.map((p) => p.byteLength)).toEqual([2048, 2048, 904]);
    for (const piece of pieces) expect(piece.buffer).toBe(big.buffer);
    expect(Buffer.concat(pieces).equals(Buffer.from(big))).toBe(true);
  });

  it("passes small chunks through as they are and drops empty ones", async () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array(2048);
    const pieces = await collect(chunkBody(bodyOf(a, new Uint8Array(0), b, new Uint8Array([2, 3]))));
    expect(pieces[0]).toBe(a);
    expect(pieces[1]).toBe(b);
    expect(pieces.map((p) => p.byteLength)).toEqual([1, 2048, 2]);
  });

  it("honours a custom size", async () => {
    const pieces = await collect(chunkBody(bodyOf(new Uint8Array(10)), 3));
    expect(pieces.map((p) => p.byteLength)).toEqual([3, 3, 3, 1]);
  });

  it("rejects a size that is not a positive integer", async () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      await expect(collect(chunkBody(bodyOf(new Uint8Array(1)), size))).rejects.toThrow(RangeError);
    }
  });

  it("pulls the next source chunk only after the current one is used up", async () => {
    let pulls = 0;
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 3; i++) {
          pulls++;
          yield new Uint8Array(4096);
        }
      },
    };
    const it = chunkBody(source)[Symbol.asyncIterator]();
    await it.next();
    expect(pulls).toBe(1);
    await it.next();
    expect(pulls).toBe(1);
    await it.next();
    expect(pulls).toBe(2);
  });

  it("closes the source when the consumer stops early", async () => {
    let closed = false;
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) yield new Uint8Array(10);
        } finally {
          closed = true;
        }
      },
    };
    for await (const _ of chunkBody(source)) break;
    expect(closed).toBe(true);
  });

  it("passes a source error on", async () => {
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield new Uint8Array(1);
        throw new Error("boom");
      },
    };
    await expect(collect(chunkBody(source))).rejects.toThrow("boom");
  });
});
