import { describe, expect, it, vi } from "vitest";
import { ResolverCache } from "./cache.js";
import { ResolveError, isResolveError } from "./errors.js";
import { roundRobinPicker } from "./pickers/round-robin.js";
import type { NameResolver, ResolveRequest } from "./resolver.js";

type Impl = (req: ResolveRequest, call: number, signal: AbortSignal | undefined) => Promise<string[]>;

class FakeResolver implements NameResolver {
  readonly name = "fake";
  readonly calls: ResolveRequest[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  constructor(public impl: Impl) {}
  async register(): Promise<void> {}
  async close(): Promise<void> {}
  resolve(req: ResolveRequest, signal?: AbortSignal): Promise<string[]> {
    this.calls.push(req);
    this.signals.push(signal);
    return this.impl(req, this.calls.length, signal);
  }
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const orders: ResolveRequest = { id: "orders", namespace: "prod", port: 50002 };

describe("ResolverCache.cacheKey", () => {
  it("is <namespace>/<id>/<port> (spec §6.1)", () => {
    expect(ResolverCache.cacheKey(orders)).toBe("prod/orders/50002");
  });

  it("uses port 0 when the caller gave none, like Go's zero value", () => {
    expect(ResolverCache.cacheKey({ id: "orders", namespace: "default" })).toBe("default/orders/0");
  });

  it("keeps entries for different caller ports apart", async () => {
    const r = new FakeResolver(async () => ["a:1"]);
    const cache = new ResolverCache(r);
    await cache.pick({ ...orders, port: 1 });
    await cache.pick({ ...orders, port: 2 });
    await cache.pick({ ...orders, port: 1 });
    expect(r.calls).toHaveLength(2);
  });
});

describe("ResolverCache TTL", () => {
  it("reuses a list until ttlMs has passed, then looks up again", async () => {
    let t = 1000;
    const r = new FakeResolver(async (_req, call) => [`host${call}:1`]);
    const cache = new ResolverCache(r, { ttlMs: 5000, now: () => t });
    expect(await cache.pick(orders)).toBe("host1:1");
    t = 5999;
    expect(await cache.pick(orders)).toBe("host1:1");
    expect(r.calls).toHaveLength(1);
    t = 6000;
    expect(await cache.pick(orders)).toBe("host2:1");
    expect(r.calls).toHaveLength(2);
  });

  it("defaults to a 5 s TTL", async () => {
    let t = 0;
    const r = new FakeResolver(async () => ["a:1"]);
    const cache = new ResolverCache(r, { now: () => t });
    await cache.pick(orders);
    t = 4999;
    await cache.pick(orders);
    expect(r.calls).toHaveLength(1);
    t = 5000;
    await cache.pick(orders);
    expect(r.calls).toHaveLength(2);
  });

  it("does not cache at all with ttlMs 0", async () => {
    const r = new FakeResolver(async () => ["a:1"]);
    const cache = new ResolverCache(r, { ttlMs: 0 });
    await cache.pick(orders);
    await cache.pick(orders);
    expect(r.calls).toHaveLength(2);
  });

  it("hands out copies, so a caller cannot corrupt the cached list", async () => {
    const r = new FakeResolver(async () => ["a:1", "b:1"]);
    const cache = new ResolverCache(r);
    const first = await cache.addresses(orders);
    first.length = 0;
    expect(await cache.addresses(orders)).toEqual(["a:1", "b:1"]);
  });
});

describe("ResolverCache.invalidate", () => {
  it("forces the next call to look up again, for that key only (spec §2.9)", async () => {
    const r = new FakeResolver(async (_req, call) => [`host${call}:1`]);
    const cache = new ResolverCache(r);
    const other = { ...orders, id: "billing" };
    await cache.pick(orders);
    await cache.pick(other);
    cache.invalidate(orders);
    expect(await cache.pick(orders)).toBe("host3:1");
    await cache.pick(other);
    expect(r.calls.map((c) => c.id)).toEqual(["orders", "billing", "orders"]);
  });

  it("keeps the answer of a lookup that was in flight out of the cache", async () => {
    const d = deferred<string[]>();
    const r = new FakeResolver((_req, call) => (call === 1 ? d.promise : Promise.resolve(["fresh:1"])));
    const cache = new ResolverCache(r);
    const pending = cache.pick(orders);
    cache.invalidate(orders);
    d.resolve(["old:1"]);
    expect(await pending).toBe("old:1");
    expect(await cache.pick(orders)).toBe("fresh:1");
    expect(r.calls).toHaveLength(2);
  });
});

describe("ResolverCache lookups", () => {
  it("shares one lookup among concurrent misses for one key", async () => {
    const d = deferred<string[]>();
    const r = new FakeResolver(() => d.promise);
    const cache = new ResolverCache(r);
    const picks = Array.from({ length: 10 }, () => cache.pick(orders));
    await Promise.resolve();
    d.resolve(["a:1"]);
    expect(await Promise.all(picks)).toEqual(Array(10).fill("a:1"));
    await cache.pick(orders);
    expect(r.calls).toHaveLength(1);
  });

  it("fails every sharer of a failed lookup and does not remember the failure", async () => {
    const d = deferred<string[]>();
    const r = new FakeResolver((_req, call) => (call === 1 ? d.promise : Promise.resolve(["a:1"])));
    const cache = new ResolverCache(r);
    const picks = Array.from({ length: 5 }, () => cache.pick(orders));
    d.reject(new Error("registry unreadable"));
    for (const p of picks) await expect(p).rejects.toThrow(/registry unreadable/);
    expect(r.calls).toHaveLength(1);
    expect(await cache.pick(orders)).toBe("a:1");
  });

  it("retries an empty answer emptyRetries times, then throws ResolveError (spec §2.5)", async () => {
    const r = new FakeResolver(async () => []);
    const cache = new ResolverCache(r, { emptyRetries: 5, emptyRetryDelayMs: 1 });
    const err = await cache.pick(orders).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolveError);
    expect((err as ResolveError).message).toBe("couldn't find app id orders in namespace prod");
    expect((err as ResolveError).code).toBe("ERR_RESOLVE");
    expect(isResolveError(err)).toBe(true);
    expect(isResolveError(new Error("x"))).toBe(false);
    expect((err as ResolveError).appId).toBe("orders");
    expect(r.calls).toHaveLength(6);
  });

  it("defaults to 5 retries 100 ms apart", async () => {
    vi.useFakeTimers();
    try {
      const r = new FakeResolver(async () => []);
      const cache = new ResolverCache(r);
      const outcome = cache.pick(orders).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(499);
      expect(r.calls).toHaveLength(5);
      await vi.advanceTimersByTimeAsync(1);
      expect(await outcome).toBeInstanceOf(ResolveError);
      expect(r.calls).toHaveLength(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it("waits emptyRetryDelayMs between empty answers", async () => {
    const r = new FakeResolver(async () => []);
    const cache = new ResolverCache(r, { emptyRetries: 2, emptyRetryDelayMs: 25 });
    const start = performance.now();
    await expect(cache.pick(orders)).rejects.toBeInstanceOf(ResolveError);
    expect(performance.now() - start).toBeGreaterThanOrEqual(48);
    expect(r.calls).toHaveLength(3);
  });

  it("looks up once with emptyRetries 0", async () => {
    const r = new FakeResolver(async () => []);
    await expect(new ResolverCache(r, { emptyRetries: 0 }).pick(orders)).rejects.toBeInstanceOf(ResolveError);
    expect(r.calls).toHaveLength(1);
  });

  it("returns the first non-empty answer and caches it, never an empty one", async () => {
    const answers = [[], [], ["a:1"]];
    const r = new FakeResolver(async (_req, call) => answers[call - 1] ?? ["late:1"]);
    const cache = new ResolverCache(r, { emptyRetryDelayMs: 0 });
    expect(await cache.pick(orders)).toBe("a:1");
    expect(await cache.pick(orders)).toBe("a:1");
    expect(r.calls).toHaveLength(3);
  });

  it("does not cache an empty result", async () => {
    const r = new FakeResolver(async (_req, call) => (call <= 2 ? [] : ["a:1"]));
    const cache = new ResolverCache(r, { emptyRetries: 1, emptyRetryDelayMs: 0 });
    await expect(cache.pick(orders)).rejects.toBeInstanceOf(ResolveError);
    expect(await cache.pick(orders)).toBe("a:1");
  });

  it("does not retry a resolver error and wraps it with the app and resolver named", async () => {
    const boom = new Error("EACCES: permission denied");
    const r = new FakeResolver(async () => {
      throw boom;
    });
    const cache = new ResolverCache(r, { emptyRetries: 5, emptyRetryDelayMs: 0 });
    const err = (await cache.pick(orders).catch((e: unknown) => e)) as ResolveError;
    expect(err).toBeInstanceOf(ResolveError);
    expect(err.message).toBe(
      "failed to resolve app id orders in namespace prod with the fake resolver: EACCES: permission denied",
    );
    expect(err.cause).toBe(boom);
    expect(r.calls).toHaveLength(1);
  });

  it("passes a ResolveError from the resolver through unchanged", async () => {
    const own = new ResolveError("no such app in the static table");
    const r = new FakeResolver(async () => {
      throw own;
    });
    await expect(new ResolverCache(r).pick(orders)).rejects.toBe(own);
  });

  it("rejects a resolver that returns something other than a list", async () => {
    const r = new FakeResolver(async () => "a:1" as unknown as string[]);
    await expect(new ResolverCache(r).pick(orders)).rejects.toThrow(/returned string instead of an address list/);
  });

  it("hands the list and the cache key to the picker", async () => {
    const picker = vi.fn((addresses: readonly string[]) => addresses[1]!);
    const r = new FakeResolver(async () => ["a:1", "b:1"]);
    expect(await new ResolverCache(r, { picker }).pick(orders)).toBe("b:1");
    expect(picker).toHaveBeenCalledWith(["a:1", "b:1"], "prod/orders/50002");
  });

  it("spreads picks over cached addresses with a round-robin picker", async () => {
    const r = new FakeResolver(async () => ["a:1", "b:1", "c:1"]);
    const cache = new ResolverCache(r, { picker: roundRobinPicker() });
    const picks = [];
    for (let i = 0; i < 6; i++) picks.push(await cache.pick(orders));
    expect(picks).toEqual(["a:1", "b:1", "c:1", "a:1", "b:1", "c:1"]);
    expect(r.calls).toHaveLength(1);
  });
});

describe("ResolverCache cancellation", () => {
  it("rejects at once with an already-aborted signal, without a lookup", async () => {
    const r = new FakeResolver(async () => ["a:1"]);
    const reason = new Error("caller gone");
    await expect(new ResolverCache(r).pick(orders, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(r.calls).toHaveLength(0);
  });

  it("lets one sharer give up without failing the others or the lookup", async () => {
    const d = deferred<string[]>();
    const r = new FakeResolver(() => d.promise);
    const cache = new ResolverCache(r);
    const ac = new AbortController();
    const leaving = cache.pick(orders, ac.signal);
    const staying = cache.pick(orders, new AbortController().signal);
    const reason = new Error("client went away");
    ac.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(r.signals[0]?.aborted).toBe(false);
    d.resolve(["a:1"]);
    expect(await staying).toBe("a:1");
    await cache.pick(orders);
    expect(r.calls).toHaveLength(1);
  });

  it("aborts the lookup once every sharer has given up, and starts afresh next time", async () => {
    const r = new FakeResolver((_req, call, signal) =>
      call === 1
        ? new Promise((_res, rej) => signal?.addEventListener("abort", () => rej(signal.reason)))
        : Promise.resolve(["a:1"]));
    const cache = new ResolverCache(r);
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.pick(orders, a.signal);
    const pb = cache.pick(orders, b.signal);
    a.abort(new Error("a"));
    expect(r.signals[0]?.aborted).toBe(false);
    b.abort(new Error("b"));
    expect(r.signals[0]?.aborted).toBe(true);
    await expect(pa).rejects.toThrow("a");
    await expect(pb).rejects.toThrow("b");
    expect(await cache.pick(orders)).toBe("a:1");
    expect(r.calls).toHaveLength(2);
  });

  it("stops waiting between empty answers when the caller aborts", async () => {
    const r = new FakeResolver(async () => []);
    const cache = new ResolverCache(r, { emptyRetryDelayMs: 60_000 });
    const reason = new Error("deadline");
    const start = performance.now();
    await expect(cache.pick(orders, AbortSignal.timeout(20))).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(cache.pick(orders, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(r.calls).toHaveLength(1);
  });
});

describe("ResolverCache options", () => {
  const r = new FakeResolver(async () => ["a:1"]);
  it.each([
    [{ ttlMs: -1 }, /ttlMs/],
    [{ ttlMs: Number.NaN }, /ttlMs/],
    [{ emptyRetries: 1.5 }, /emptyRetries/],
    [{ emptyRetries: -1 }, /emptyRetries/],
    [{ emptyRetryDelayMs: Number.POSITIVE_INFINITY }, /emptyRetryDelayMs/],
  ])("rejects %o", (opts, message) => {
    expect(() => new ResolverCache(r, opts)).toThrow(message);
  });

  it("exposes the resolver it fronts", () => {
    expect(new ResolverCache(r).resolver).toBe(r);
  });
});
