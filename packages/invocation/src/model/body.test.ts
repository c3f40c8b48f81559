import { describe, expect, it } from "vitest";
import { BodyTooLargeError, bodyFromBytes, discardBody, emptyBody, limitBody, readBody, type BodyStream } from "./body.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function chunks(...parts: string[]): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (const p of parts) yield enc(p);
    },
  };
}

/** Yields the parts, then fails with `error`; records how far it got. */
function failingAfter(parts: string[], error: unknown, progress: { yielded: number } = { yielded: 0 }): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (const p of parts) {
        yield enc(p);
        progress.yielded++;
      }
      throw error;
    },
  };
}

async function collect(body: BodyStream): Promise<string[]> {
  const out: string[] = [];
  for await (const c of body) out.push(dec(c));
  return out;
}

describe("emptyBody / bodyFromBytes", () => {
  it("emptyBody yields nothing, every time", async () => {
    expect(await collect(emptyBody())).toEqual([]);
    expect(await collect(emptyBody())).toEqual([]);
  });

  it("bodyFromBytes yields one chunk with the given bytes", async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const seen: Uint8Array[] = [];
    for await (const c of bodyFromBytes(bytes)) seen.push(c);
    expect(seen).toHaveLength(1);
    expect([...seen[0]!]).toEqual([1, 2, 3]);
  });

  it("bodyFromBytes encodes strings as UTF-8", async () => {
    const out = await readBody(bodyFromBytes("héllo ✓"));
    expect([...out]).toEqual([...Buffer.from("héllo ✓", "utf8")]);
  });

  it("bodyFromBytes of nothing yields no chunk", async () => {
    expect(await collect(bodyFromBytes(""))).toEqual([]);
    expect(await collect(bodyFromBytes(new Uint8Array(0)))).toEqual([]);
  });

  it("bodyFromBytes can be read more than once", async () => {
    const body = bodyFromBytes("abc");
    expect(await collect(body)).toEqual(["abc"]);
    expect(await collect(body)).toEqual(["abc"]);
  });
});

describe("readBody", () => {
  it("concatenates chunks in order", async () => {
    expect(dec(await readBody(chunks("ab", "", "cde", "f")))).toBe("abcdef");
  });

  it("returns an empty array for an empty body", async () => {
    const out = await readBody(emptyBody());
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.byteLength).toBe(0);
  });

  it("accepts a body of exactly the limit", async () => {
    expect(dec(await readBody(chunks("ab", "cd"), 4))).toBe("abcd");
  });

  it("fails with BodyTooLargeError once the limit is passed", async () => {
    const err = await readBody(chunks("ab", "cd", "e"), 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    const tooLarge = err as BodyTooLargeError;
    expect(tooLarge.message).toContain("stream too large");
    expect(tooLarge.limit).toBe(4);
    expect(tooLarge.code).toBe("COURIER_BODY_TOO_LARGE");
    expect(tooLarge.name).toBe("BodyTooLargeError");
  });

  it("stops pulling from the source once the limit is passed", async () => {
    let pulled = 0;
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield new Uint8Array(10);
        }
      },
    };
    await expect(readBody(source, 25)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(pulled).toBe(3);
  });

  it("a limit of 0 accepts only an empty body", async () => {
    expect((await readBody(emptyBody(), 0)).byteLength).toBe(0);
    await expect(readBody(chunks("x"), 0)).rejects.toThrow(/stream too large/);
  });

  it("propagates a source error", async () => {
    const boom = new Error("boom");
    await expect(readBody(failingAfter(["a"], boom))).rejects.toBe(boom);
  });
});

describe("limitBody", () => {
  it("passes chunks through untouched under the limit", async () => {
    expect(await collect(limitBody(chunks("ab", "cd"), 4))).toEqual(["ab", "cd"]);
  });

  it("fails mid-stream after delivering the chunks that fit", async () => {
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of limitBody(chunks("ab", "cd", "ef", "gh"), 5)) got.push(dec(c));
    })().catch((e: unknown) => e);
    expect(got).toEqual(["ab", "cd"]);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as Error).message).toMatch(/^stream too large/);
    expect((err as BodyTooLargeError).limit).toBe(5);
  });

  it("is lazy: nothing is pulled until the body is read", async () => {
    let started = false;
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        started = true;
        yield enc("x");
      },
    };
    const limited = limitBody(source, 10);
    expect(started).toBe(false);
    expect(await collect(limited)).toEqual(["x"]);
    expect(started).toBe(true);
  });

  it("closes the source when the consumer stops early", async () => {
    let closed = false;
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        try {
          yield enc("a");
          yield enc("b");
        } finally {
          closed = true;
        }
      },
    };
    for await (const _ of limitBody(source, 100)) break;
    expect(closed).toBe(true);
  });

  it("propagates a source error", async () => {
    const boom = new Error("source failed");
    await expect(collect(limitBody(failingAfter(["a"], boom), 100))).rejects.toBe(boom);
  });
});

describe("discardBody", () => {
  it("drains every chunk", async () => {
    const progress = { yielded: 0 };
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 5; i++) {
          yield enc("x");
          progress.yielded++;
        }
      },
    };
    await discardBody(source);
    expect(progress.yielded).toBe(5);
  });

  it("swallows the body's error", async () => {
    const progress = { yielded: 0 };
    await expect(discardBody(failingAfter(["a", "b"], new Error("gone"), progress))).resolves.toBeUndefined();
    expect(progress.yielded).toBe(2);
  });

  it("swallows non-Error throws and a too-large limited body", async () => {
    await expect(discardBody(failingAfter([], "a string"))).resolves.toBeUndefined();
    await expect(discardBody(limitBody(chunks("abc"), 1))).resolves.toBeUndefined();
  });
});
