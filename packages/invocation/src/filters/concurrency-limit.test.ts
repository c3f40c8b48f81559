import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { silentLogger } from "../logger.js";
import { discardBody, emptyBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { concurrencyLimit } from "./concurrency-limit.js";
import type { Invoke } from "./filter.js";

function request(method = "m"): InvokeRequest {
  return { method, verb: "GET", query: "", contentType: "", dataTypeUrl: "", metadata: new Metadata(), body: emptyBody(), contentLength: 0 };
}

function context(signal: AbortSignal = new AbortController().signal): InvokeContext {
  return { signal, side: "callee", target: { appId: "app", namespace: "default" }, log: silentLogger, attributes: new Map() };
}

function response(body: BodyStream = emptyBody()): InvokeResponse {
  return { status: 200, statusMessage: "", statusDetails: [], headers: new Metadata(), trailers: new Metadata(), contentType: "", dataTypeUrl: "", body };
}

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A fake app: every call enters, then waits until the test lets it answer. `active` counts
 * calls between entering and the end of their response body, which is what the limit bounds.
 */
function fakeApp() {
  const entered: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred<InvokeResponse | Error>>>();
  let active = 0;
  let maxActive = 0;
  const invoke: Invoke = async (req) => {
    entered.push(req.method);
    active++;
    maxActive = Math.max(maxActive, active);
    const gate = deferred<InvokeResponse | Error>();
    gates.set(req.method, gate);
    const outcome = await gate.promise;
    if (outcome instanceof Error) {
      active--;
      throw outcome;
    }
    const inner = outcome.body;
    return {
      ...outcome,
      body: {
        async *[Symbol.asyncIterator]() {
          try {
            yield* inner;
          } finally {
            active--;
          }
        },
      },
    };
  };
  return {
    invoke,
    entered,
    answer: (method: string, res: InvokeResponse | Error = response()) => gates.get(method)!.resolve(res),
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}

describe("concurrencyLimit", () => {
  it("rejects a limit that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => concurrencyLimit(bad)).toThrow(RangeError);
    }
    expect(() => concurrencyLimit(1)).not.toThrow();
  });

  it("lets up to N calls in at once and queues the rest", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(2)(app.invoke);
    const calls = ["a", "b", "c", "d"].map((m) => invoke(request(m), context()));
    await settle();
    expect(app.entered).toEqual(["a", "b"]);

    app.answer("a");
    const a = await calls[0]!;
    await settle();
    // `a` answered but its body is still open: the slot is still held.
    expect(app.entered).toEqual(["a", "b"]);
    await discardBody(a.body);
    await settle();
    expect(app.entered).toEqual(["a", "b", "c"]);

    for (const m of ["b", "c"]) app.answer(m);
    await Promise.all([calls[1]!, calls[2]!].map(async (p) => discardBody((await p).body)));
    await settle();
    expect(app.entered).toEqual(["a", "b", "c", "d"]);
    app.answer("d");
    await discardBody((await calls[3]!).body);
    expect(app.maxActive).toBe(2);
    expect(app.active).toBe(0);
  });

  it("never has more than N calls in flight under load", async () => {
    const limit = 3;
    let active = 0;
    let maxActive = 0;
    const app: Invoke = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      return response({
        async *[Symbol.asyncIterator]() {
          try {
            yield new Uint8Array(1);
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            yield new Uint8Array(1);
          } finally {
            active--;
          }
        },
      });
    };
    const invoke = concurrencyLimit(limit)(app);
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await invoke(request(String(i)), context());
        await discardBody(res.body);
      }),
    );
    expect(maxActive).toBe(limit);
    expect(active).toBe(0);
  });

  it("serves waiters in arrival order", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const calls = ["first", "second", "third", "fourth"].map((m) => invoke(request(m), context()));
    for (const m of ["first", "second", "third", "fourth"]) {
      await settle();
      expect(app.entered.at(-1)).toBe(m);
      app.answer(m);
      await discardBody((await calls[app.entered.length - 1]!).body);
    }
  });

  it("a waiter whose signal aborts fails with a context error and does not consume a slot", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const holder = invoke(request("holder"), context());
    const ac = new AbortController();
    const waiting = invoke(request("aborted"), context(ac.signal));
    const next = invoke(request("next"), context());
    await settle();
    ac.abort();
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationError);
    expect((err as InvocationError).code).toBe(GrpcCode.DeadlineExceeded);
    expect((err as InvocationError).message).toMatch(/concurrency slot/);

    app.answer("holder");
    await discardBody((await holder).body);
    await settle();
    expect(app.entered).toEqual(["holder", "next"]);
    app.answer("next");
    await discardBody((await next).body);

    // The limit is intact afterwards: one call enters, the second waits.
    const again = [invoke(request("x"), context()), invoke(request("y"), context())];
    await settle();
    expect(app.entered).toEqual(["holder", "next", "x"]);
    app.answer("x");
    await discardBody((await again[0]!).body);
    await settle();
    app.answer("y");
    await discardBody((await again[1]!).body);
    expect(app.maxActive).toBe(1);
  });

  it("a call with an already aborted signal and no free slot fails at once", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const holder = invoke(request("holder"), context());
    await settle();
    await expect(invoke(request("late"), context(AbortSignal.abort()))).rejects.toMatchObject({ code: GrpcCode.DeadlineExceeded });
    app.answer("holder");
    await discardBody((await holder).body);
    expect(app.entered).toEqual(["holder"]);
  });

  it("releases the slot when the app call fails", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const failing = invoke(request("failing"), context());
    const next = invoke(request("next"), context());
    await settle();
    const boom = new Error("app down");
    app.answer("failing", boom);
    await expect(failing).rejects.toBe(boom);
    await settle();
    expect(app.entered).toEqual(["failing", "next"]);
    app.answer("next");
    await discardBody((await next).body);
  });

  it("releases the slot when the response body fails mid-stream", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const first = invoke(request("first"), context());
    const second = invoke(request("second"), context());
    await settle();
    app.answer(
      "first",
      response({
        async *[Symbol.asyncIterator]() {
          yield new Uint8Array(1);
          throw new Error("truncated");
        },
      }),
    );
    const res = await first;
    await expect(
      (async () => {
        for await (const _ of res.body) {
          /* drain */
        }
      })(),
    ).rejects.toThrow("truncated");
    await settle();
    expect(app.entered).toEqual(["first", "second"]);
    app.answer("second");
    await discardBody((await second).body);
  });

  it("releases the slot when the consumer stops reading early", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const first = invoke(request("first"), context());
    const second = invoke(request("second"), context());
    await settle();
    app.answer(
      "first",
      response({
        async *[Symbol.asyncIterator]() {
          yield new Uint8Array(1);
          yield new Uint8Array(1);
        },
      }),
    );
    const res = await first;
    for await (const _ of res.body) break;
    await settle();
    expect(app.entered).toEqual(["first", "second"]);
    app.answer("second");
    await discardBody((await second).body);
  });

  it("releases the slot when the consumer closes the body without reading it", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(1)(app.invoke);
    const first = invoke(request("first"), context());
    const second = invoke(request("second"), context());
    await settle();
    app.answer("first");
    const res = await first;
    // e.g. a Readable.from(body) destroyed before its first read.
    await res.body[Symbol.asyncIterator]().return?.();
    await settle();
    expect(app.entered).toEqual(["first", "second"]);
    app.answer("second");
    await discardBody((await second).body);
  });

  it("releases once even if the body is read twice", async () => {
    const app = fakeApp();
    const invoke = concurrencyLimit(2)(app.invoke);
    const first = invoke(request("first"), context());
    await settle();
    app.answer("first", response(emptyBody()));
    const res = await first;
    await discardBody(res.body);
    await discardBody(res.body);
    // Two slots, not three: a double release would let a third call in.
    const calls = ["a", "b", "c"].map((m) => invoke(request(m), context()));
    await settle();
    expect(app.entered).toEqual(["first", "a", "b"]);
    for (const [i, m] of ["a", "b", "c"].entries()) {
      await settle();
      app.answer(m);
      await discardBody((await calls[i]!).body);
    }
  });
});
