import { describe, expect, it } from "vitest";
import type { BodyStream } from "./body.js";
import { BodyNotReplayableError, ReplayableBody } from "./replayable-body.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A source that yields the given parts and counts how often it was pulled. */
function counted(parts: string[], fail?: unknown): { body: BodyStream; pulls: () => number } {
  let pulls = 0;
  return {
    body: {
      async *[Symbol.asyncIterator]() {
        for (const p of parts) {
          pulls++;
          yield enc(p);
        }
        if (fail !== undefined) {
          pulls++;
          throw fail;
        }
      },
    },
    pulls: () => pulls,
  };
}

async function collect(body: BodyStream): Promise<string[]> {
  const out: string[] = [];
  for await (const c of body) out.push(dec(c));
  return out;
}

/** Reads `n` chunks from an iterator without closing it. */
async function take(it: AsyncIterator<Uint8Array>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(dec(r.value));
  }
  return out;
}

async function rest(it: AsyncIterator<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return out;
    out.push(dec(r.value));
  }
}

describe("ReplayableBody", () => {
  it("a single reader sees the source unchanged", async () => {
    const src = counted(["a", "bc", "def"]);
    const body = new ReplayableBody(src.body, 100);
    expect(await collect(body.reader())).toEqual(["a", "bc", "def"]);
    expect(body.replayable).toBe(true);
    expect(body.bufferedBytes).toBe(6);
  });

  it("does not pull before a reader asks", async () => {
    const src = counted(["a"]);
    const body = new ReplayableBody(src.body, 100);
    body.reader();
    expect(src.pulls()).toBe(0);
    expect(body.bufferedBytes).toBe(0);
  });

  it("an empty source gives empty readers, and stays replayable", async () => {
    const body = new ReplayableBody(counted([]).body, 0);
    expect(await collect(body.reader())).toEqual([]);
    expect(await collect(body.reader())).toEqual([]);
    expect(body.replayable).toBe(true);
  });

  it("a new reader replays from the first byte after a complete read", async () => {
    const src = counted(["a", "b", "c"]);
    const body = new ReplayableBody(src.body, 100);
    expect(await collect(body.reader())).toEqual(["a", "b", "c"]);
    expect(await collect(body.reader())).toEqual(["a", "b", "c"]);
    expect(src.pulls()).toBe(3);
  });

  it("a new reader after a partial read replays the kept bytes, then continues with the unread rest", async () => {
    const src = counted(["1", "2", "3", "4", "5"]);
    const body = new ReplayableBody(src.body, 100);
    const first = body.reader()[Symbol.asyncIterator]();
    expect(await take(first, 2)).toEqual(["1", "2"]);
    expect(src.pulls()).toBe(2);

    expect(await collect(body.reader())).toEqual(["1", "2", "3", "4", "5"]);
    // The source was read once: the replay came from the buffer.
    expect(src.pulls()).toBe(5);
  });

  it("a superseded reader fails instead of stealing chunks", async () => {
    const body = new ReplayableBody(counted(["a", "b", "c"]).body, 100);
    const first = body.reader()[Symbol.asyncIterator]();
    expect(await take(first, 1)).toEqual(["a"]);
    const second = body.reader()[Symbol.asyncIterator]();
    await expect(first.next()).rejects.toThrow(/superseded/);
    expect(await rest(second)).toEqual(["a", "b", "c"]);
  });

  it("a superseded reader that was waiting on the source fails when the chunk lands", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const source: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield enc("a");
        await gate;
        yield enc("b");
      },
    };
    const body = new ReplayableBody(source, 100);
    const first = body.reader()[Symbol.asyncIterator]();
    expect(await take(first, 1)).toEqual(["a"]);
    const pending = first.next();
    const second = body.reader()[Symbol.asyncIterator]();
    release();
    await expect(pending).rejects.toThrow(/superseded/);
    expect(await rest(second)).toEqual(["a", "b"]);
  });

  it("a body of exactly the limit stays replayable", async () => {
    const body = new ReplayableBody(counted(["ab", "cd"]).body, 4);
    expect(await collect(body.reader())).toEqual(["ab", "cd"]);
    expect(body.replayable).toBe(true);
    expect(body.bufferedBytes).toBe(4);
    expect(await collect(body.reader())).toEqual(["ab", "cd"]);
  });

  it("past the limit: not replayable, the current reader still gets every byte in order, a new reader throws", async () => {
    const parts = ["aa", "bb", "cc", "dd", "e", "ff"];
    const body = new ReplayableBody(counted(parts).body, 5);
    const reader = body.reader()[Symbol.asyncIterator]();
    expect(await take(reader, 2)).toEqual(["aa", "bb"]);
    expect(body.replayable).toBe(true);
    expect(await take(reader, 1)).toEqual(["cc"]);
    expect(body.replayable).toBe(false);
    // Bytes past the limit are not kept (a smaller later chunk that would fit is not kept either).
    expect(body.bufferedBytes).toBe(4);
    expect(await rest(reader)).toEqual(["dd", "e", "ff"]);

    expect(() => body.reader()).toThrow(BodyNotReplayableError);
    try {
      body.reader();
    } catch (err) {
      expect((err as BodyNotReplayableError).code).toBe("COURIER_BODY_NOT_REPLAYABLE");
      expect((err as Error).message).toContain("5 bytes");
    }
  });

  it("a replaying reader that runs past the limit still gets every byte in order", async () => {
    const body = new ReplayableBody(counted(["a", "b", "cccc", "d"]).body, 3);
    const first = body.reader()[Symbol.asyncIterator]();
    expect(await take(first, 2)).toEqual(["a", "b"]);
    const second = body.reader();
    expect(await collect(second)).toEqual(["a", "b", "cccc", "d"]);
    expect(body.replayable).toBe(false);
  });

  it("a single chunk larger than the limit overflows at once", async () => {
    const body = new ReplayableBody(counted(["toolarge"]).body, 3);
    expect(await collect(body.reader())).toEqual(["toolarge"]);
    expect(body.replayable).toBe(false);
    expect(body.bufferedBytes).toBe(0);
  });

  it("a source error reaches the reader after the chunks before it", async () => {
    const boom = new Error("client went away");
    const body = new ReplayableBody(counted(["a", "b"], boom).body, 100);
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of body.reader()) got.push(dec(c));
    })().catch((e: unknown) => e);
    expect(got).toEqual(["a", "b"]);
    expect(err).toBe(boom);
  });

  it("a reader created after a source error replays, then gets the same error", async () => {
    const boom = new Error("reset");
    const src = counted(["a"], boom);
    const body = new ReplayableBody(src.body, 100);
    await expect(collect(body.reader())).rejects.toBe(boom);
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of body.reader()) got.push(dec(c));
      })(),
    ).rejects.toBe(boom);
    expect(got).toEqual(["a"]);
    expect(src.pulls()).toBe(2);
  });

  it("release() drops the buffer and makes the body not replayable", async () => {
    const body = new ReplayableBody(counted(["a", "b"]).body, 100);
    expect(await collect(body.reader())).toEqual(["a", "b"]);
    body.release();
    expect(body.replayable).toBe(false);
    expect(body.bufferedBytes).toBe(0);
    expect(() => body.reader()).toThrow(BodyNotReplayableError);
  });

  it("release() lets the current reader finish the unread rest", async () => {
    const body = new ReplayableBody(counted(["a", "b", "c"]).body, 100);
    const reader = body.reader()[Symbol.asyncIterator]();
    expect(await take(reader, 1)).toEqual(["a"]);
    body.release();
    expect(await rest(reader)).toEqual(["b", "c"]);
  });

  it("release() while the current reader is replaying does not drop its unread kept bytes", async () => {
    // A retry reader is part-way through the replay when the response arrives and DirectMessaging
    // releases the buffer; the transport may still be sending the request body.
    const body = new ReplayableBody(counted(["1", "2", "3", "4"]).body, 100);
    const first = body.reader()[Symbol.asyncIterator]();
    expect(await take(first, 3)).toEqual(["1", "2", "3"]);
    const second = body.reader()[Symbol.asyncIterator]();
    expect(await take(second, 1)).toEqual(["1"]);
    body.release();
    expect(await rest(second)).toEqual(["2", "3", "4"]);
  });
});
