import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { decodeFrames, encodeFrame, FRAME_HEADER_SIZE } from "./grpc-frame.js";

/** Deterministic bytes, different per message so a mix-up cannot go unnoticed. */
function pattern(size: number, salt = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + salt * 17 + (i >> 8)) & 0xff;
  return out;
}

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** The wire bytes cut at the given sizes (cycled); the last piece takes the rest. */
async function* split(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let i = 0;
  while (offset < bytes.byteLength) {
    const size = sizes[i++ % sizes.length]!;
    // A fresh copy per chunk, as a socket would deliver it.
    yield Uint8Array.prototype.slice.call(bytes, offset, offset + size);
    offset += size;
  }
}

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function collect(frames: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of frames) out.push(m);
  return out;
}

/** Byte-for-byte comparison (deep equality on big Buffers is needlessly slow). */
function expectMessages(out: Uint8Array[], expected: Uint8Array[], label = ""): void {
  expect(out.map((m) => m.byteLength), label).toEqual(expected.map((m) => m.byteLength));
  out.forEach((m, i) => expect(Buffer.from(m.buffer, m.byteOffset, m.byteLength).equals(Buffer.from(expected[i]!)), `${label} #${i}`).toBe(true));
}

async function failure(frames: AsyncIterable<Uint8Array>): Promise<InvocationError> {
  const err = await collect(frames).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvocationError);
  return err as InvocationError;
}

/** Small pseudo-random generator so "random" boundaries are reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const MESSAGES = [0, 1, 5, 0, 2048, 3, 16_384, 16_385, 0, 70_000, 1].map((size, i) => pattern(size, i));
const WIRE = concat(MESSAGES.map((m) => encodeFrame(m)));

describe("encodeFrame", () => {
  it("writes flag 0, a big-endian length and the bytes", () => {
    const frame = encodeFrame(new Uint8Array([0xaa, 0xbb, 0xcc]));
    expect([...frame]).toEqual([0, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc]);
  });

  it("encodes an empty message as a bare 5-byte header", () => {
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
  });

  it("uses all four length bytes", () => {
    const frame = encodeFrame(new Uint8Array(0x01_02_03));
    expect(frame.byteLength).toBe(FRAME_HEADER_SIZE + 0x01_02_03);
    expect([...frame.subarray(0, 5)]).toEqual([0, 0x00, 0x01, 0x02, 0x03]);
  });

  it("copies a view at an offset, not its whole backing buffer", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 9]);
    const frame = encodeFrame(backing.subarray(2, 4));
    expect([...frame]).toEqual([0, 0, 0, 0, 2, 1, 2]);
  });
});

describe("decodeFrames", () => {
  it("decodes every message when all of them arrive in one chunk", async () => {
    expectMessages(await collect(decodeFrames(chunksOf(WIRE), 1 << 20)), MESSAGES);
  });

  it("decodes the same messages from 1-byte chunks", async () => {
    expectMessages(await collect(decodeFrames(split(WIRE, [1]), 1 << 20)), MESSAGES);
  });

  it.each([2, 3, 4, 5, 6, 7, 4096, 16_384, 65_537])("decodes the same messages from %i-byte chunks", async (size) => {
    expectMessages(await collect(decodeFrames(split(WIRE, [size]), 1 << 20)), MESSAGES);
  });

  it("decodes the same messages at random chunk boundaries (many seeds)", async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = lcg(seed);
      const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * (seed % 2 ? 12 : 30_000)));
      expectMessages(await collect(decodeFrames(split(WIRE, sizes), 1 << 20)), MESSAGES, `seed ${seed}`);
    }
  });

  it("handles chunks that end exactly on the 5-byte header or inside it", async () => {
    const msg = pattern(10);
    const wire = encodeFrame(msg);
    for (let cut = 1; cut < wire.byteLength; cut++) {
      const out = await collect(decodeFrames(chunksOf(wire.subarray(0, cut), wire.subarray(cut)), 100));
      expect(out.map((m) => [...m]), `cut at ${cut}`).toEqual([[...msg]]);
    }
  });

  it("decodes a run of zero-length messages", async () => {
    const wire = concat(Array.from({ length: 1000 }, () => encodeFrame(new Uint8Array(0))));
    const out = await collect(decodeFrames(split(wire, [3, 7, 1]), 0));
    expect(out).toHaveLength(1000);
    expect(out.every((m) => m.byteLength === 0)).toBe(true);
  });

  it("skips empty chunks", async () => {
    const wire = encodeFrame(pattern(4));
    const empty = new Uint8Array(0);
    const out = await collect(decodeFrames(chunksOf(empty, wire.subarray(0, 2), empty, empty, wire.subarray(2), empty), 100));
    expect(out.map((m) => [...m])).toEqual([[...pattern(4)]]);
  });

  it("yields nothing for an empty stream", async () => {
    expect(await collect(decodeFrames(chunksOf(), 100))).toEqual([]);
    expect(await collect(decodeFrames(chunksOf(new Uint8Array(0)), 100))).toEqual([]);
  });

  it("accepts a message of exactly the max size", async () => {
    const out = await collect(decodeFrames(chunksOf(encodeFrame(pattern(1000))), 1000));
    expect(out[0]!.byteLength).toBe(1000);
  });

  it("rejects a message one byte over the max with ResourceExhausted", async () => {
    const err = await failure(decodeFrames(chunksOf(encodeFrame(pattern(1001))), 1000));
    expect(err.code).toBe(GrpcCode.ResourceExhausted);
    expect(err.message).toBe("received message larger than max (1001 vs. 1000)");
  });

  it("rejects an oversized message from its header alone, without waiting for (or buffering) the body", async () => {
    let pulledAfterHeader = false;
    async function* source() {
      const header = Buffer.alloc(5);
      header.writeUInt32BE(0xffff_ffff, 1);
      yield header;
      pulledAfterHeader = true;
      await new Promise(() => {}); // a peer that would go on sending 4 GiB
    }
    const err = await failure(decodeFrames(source(), 4 * 1024 * 1024));
    expect(err.code).toBe(GrpcCode.ResourceExhausted);
    expect(pulledAfterHeader).toBe(false);
  });

  it("rejects a max-size violation that follows valid messages, after yielding them", async () => {
    const wire = concat([encodeFrame(pattern(3)), encodeFrame(pattern(11))]);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const m of decodeFrames(split(wire, [1]), 10)) seen.push(m.byteLength);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([3]);
    expect((err as InvocationError).code).toBe(GrpcCode.ResourceExhausted);
  });

  it.each([1, 2, 0x80, 0xff])("rejects compressed-flag value %i as Internal (no encoding was negotiated)", async (flag) => {
    const frame = encodeFrame(pattern(4));
    frame[0] = flag;
    const err = await failure(decodeFrames(chunksOf(frame), 100));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toContain("compressed");
  });

  it("rejects a compressed frame that follows a valid one, even split across chunks", async () => {
    const bad = encodeFrame(pattern(4));
    bad[0] = 1;
    const wire = concat([encodeFrame(pattern(2)), bad]);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const m of decodeFrames(split(wire, [1]), 100)) seen.push(m.byteLength);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([2]);
    expect((err as InvocationError).code).toBe(GrpcCode.Internal);
  });

  it.each([
    ["inside the header", 3],
    ["right after the header", 5],
    ["inside the body", 9],
  ])("rejects a stream that ends %s as Internal", async (_, cut) => {
    const wire = concat([encodeFrame(pattern(2)), encodeFrame(pattern(10))]);
    const truncated = wire.subarray(0, 7 + cut);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const m of decodeFrames(split(truncated, [4]), 100)) seen.push(m.byteLength);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([2]);
    expect(err).toBeInstanceOf(InvocationError);
    expect((err as InvocationError).code).toBe(GrpcCode.Internal);
    expect((err as InvocationError).message).toMatch(/stream ended inside a message/);
  });

  it("passes the source's own error through", async () => {
    const boom = new Error("socket reset");
    async function* source() {
      yield encodeFrame(pattern(1));
      throw boom;
    }
    const seen: number[] = [];
    const err = await (async () => {
      for await (const m of decodeFrames(source(), 100)) seen.push(m.byteLength);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1]);
    expect(err).toBe(boom);
  });

  it("is pull-based: a chunk is read only when the consumer wants the next message", async () => {
    let pulls = 0;
    async function* source() {
      for (let i = 0; i < 5; i++) {
        pulls++;
        yield encodeFrame(pattern(8, i));
      }
    }
    const it = decodeFrames(source(), 100)[Symbol.asyncIterator]();
    expect(pulls).toBe(0);
    await it.next();
    expect(pulls).toBe(1);
    await it.next();
    expect(pulls).toBe(2);
    await it.return(undefined);
  });

  it("closes the source when the consumer stops early", async () => {
    let closed = false;
    async function* source() {
      try {
        for (;;) yield encodeFrame(pattern(8));
      } finally {
        closed = true;
      }
    }
    for await (const _ of decodeFrames(source(), 100)) break;
    expect(closed).toBe(true);
  });

  it("reassembles a large message from many small chunks in linear time", async () => {
    // 16 MiB in 16 KiB DATA-sized pieces: re-concatenating everything buffered on every chunk
    // would copy ~8 GiB and take seconds.
    const size = 16 * 1024 * 1024;
    const msg = pattern(size);
    const started = performance.now();
    const out = await collect(decodeFrames(split(encodeFrame(msg), [16_384]), size));
    const elapsed = performance.now() - started;
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0]!).equals(Buffer.from(msg))).toBe(true);
    expect(elapsed).toBeLessThan(1500);
  });
});
