import { ResolverCache, type NameResolver, type ResolveRequest } from "@courier/resolver";
import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Filter, Invoke } from "../filters/filter.js";
import { bodyFromBytes, emptyBody, readBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { BUILT_IN_RETRY, DirectMessaging, type DirectMessagingOptions } from "./direct-messaging.js";
import type { RemoteInvoker } from "./remote-invoker.js";

const FAST_RETRY = { intervalMs: 1, maxRetries: 3 };

function response(status = 200, body: BodyStream = emptyBody()): InvokeResponse {
  return { status, statusMessage: "", statusDetails: [], headers: new Metadata(), trailers: new Metadata(), contentType: "", dataTypeUrl: "", body };
}

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    method: "orders",
    verb: "POST",
    query: "",
    contentType: "",
    dataTypeUrl: "",
    metadata: new Metadata(),
    body: emptyBody(),
    contentLength: 0,
    ...overrides,
  };
}

function pieces(...parts: string[]): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (const p of parts) yield new TextEncoder().encode(p);
    },
  };
}

const unavailable = (msg = "connection refused") => new InvocationError(GrpcCode.Unavailable, msg);

/** A NameResolver that answers from a list of answers (the last one repeats) and counts lookups. */
class FakeResolver implements NameResolver {
  readonly name = "fake";
  readonly requests: ResolveRequest[] = [];
  constructor(
    private readonly answers: Array<string[] | Error | ((signal?: AbortSignal) => Promise<string[]>)>,
    private readonly events?: string[],
  ) {}
  async register(): Promise<void> {}
  async resolve(req: ResolveRequest, signal?: AbortSignal): Promise<string[]> {
    this.requests.push(req);
    const answer = this.answers[Math.min(this.requests.length - 1, this.answers.length - 1)]!;
    this.events?.push(`resolve ${req.namespace}/${req.id}`);
    if (answer instanceof Error) throw answer;
    if (typeof answer === "function") return answer(signal);
    return answer;
  }
  async close(): Promise<void> {}
}

/** A ResolverCache that records invalidations into the shared event log. */
class SpyCache extends ResolverCache {
  constructor(
    resolver: NameResolver,
    private readonly events: string[],
  ) {
    // Deterministic picker: always the first address.
    super(resolver, { picker: (addresses) => addresses[0]!, emptyRetries: 0, ttlMs: 60_000 });
  }
  override invalidate(req: ResolveRequest): void {
    this.events.push(`invalidate ${ResolverCache.cacheKey(req)}`);
    super.invalidate(req);
  }
}

interface Attempt {
  address: string;
  method: string;
  metadata: Metadata;
  body: BodyStream;
  ctx: InvokeContext;
  req: InvokeRequest;
}

/** A RemoteInvoker scripted per attempt; records attempts and resets into the event log. */
class FakeRemote implements RemoteInvoker {
  readonly attempts: Attempt[] = [];
  readonly resets: string[] = [];
  constructor(
    private readonly script: Array<(a: Attempt) => Promise<InvokeResponse>>,
    private readonly events: string[],
  ) {}
  async invoke(address: string, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const attempt: Attempt = { address, method: req.method, metadata: req.metadata.clone(), body: req.body, ctx, req };
    this.attempts.push(attempt);
    this.events.push(`invoke ${address}`);
    const step = this.script[Math.min(this.attempts.length - 1, this.script.length - 1)];
    if (!step) return response();
    return step(attempt);
  }
  reset(address: string): void {
    this.resets.push(address);
    this.events.push(`reset ${address}`);
  }
  async close(): Promise<void> {}
}

function setup(
  opts: {
    answers?: Array<string[] | Error | ((signal?: AbortSignal) => Promise<string[]>)>;
    script?: Array<(a: Attempt) => Promise<InvokeResponse>>;
    local?: Invoke;
    filters?: Filter[];
    builtInRetry?: DirectMessagingOptions["builtInRetry"] | null;
    replayLimit?: number;
    namespace?: string;
  } = {},
) {
  const events: string[] = [];
  const resolver = new FakeResolver(opts.answers ?? [["10.0.0.1:50002"]], events);
  const cache = new SpyCache(resolver, events);
  const remote = new FakeRemote(opts.script ?? [], events);
  const dm = new DirectMessaging({
    appId: "me",
    namespace: opts.namespace ?? "default",
    internalPort: 50002,
    resolver: cache,
    remote,
    local: opts.local,
    filters: opts.filters,
    builtInRetry: opts.builtInRetry === null ? undefined : (opts.builtInRetry ?? FAST_RETRY),
    replayLimit: opts.replayLimit ?? 1024,
    hostIp: "192.0.2.10",
    hostname: "caller-host",
  });
  return { dm, remote, resolver, cache, events };
}

async function failure(p: Promise<unknown>): Promise<InvocationError> {
  const err = await p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvocationError);
  return err as InvocationError;
}

describe("DirectMessaging: local vs remote (spec §2.4)", () => {
  it("calls the local app for its own id and namespace, with no resolver or remote use", async () => {
    const seen: Array<{ req: InvokeRequest; ctx: InvokeContext }> = [];
    const { dm, remote, resolver } = setup({
      local: async (req, ctx) => {
        seen.push({ req, ctx });
        return response(202);
      },
    });
    const res = await dm.invoke("me", request());
    expect(res.status).toBe(202);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ctx.side).toBe("callee");
    expect(seen[0]!.ctx.target).toEqual({ appId: "me", namespace: "default" });
    expect(seen[0]!.ctx.caller).toEqual({ appId: "me", namespace: "default" });
    expect(remote.attempts).toHaveLength(0);
    expect(resolver.requests).toHaveLength(0);
  });

  it("treats `me.<own namespace>` as local", async () => {
    let local = 0;
    const { dm, remote } = setup({
      namespace: "prod",
      local: async () => {
        local++;
        return response();
      },
    });
    await dm.invoke("me.prod", request());
    expect(local).toBe(1);
    expect(remote.attempts).toHaveLength(0);
  });

  it("treats its own id in another namespace as remote", async () => {
    let local = 0;
    const { dm, remote, resolver } = setup({
      local: async () => {
        local++;
        return response();
      },
    });
    await dm.invoke("me.other", request());
    expect(local).toBe(0);
    expect(remote.attempts).toHaveLength(1);
    expect(resolver.requests).toEqual([{ id: "me", namespace: "other", port: 50002 }]);
  });

  it("treats another id in its own namespace as remote", async () => {
    const { dm, remote, resolver } = setup({ local: async () => response(500) });
    const res = await dm.invoke("orders", request());
    expect(res.status).toBe(200);
    expect(remote.attempts).toHaveLength(1);
    expect(remote.attempts[0]!.address).toBe("10.0.0.1:50002");
    expect(resolver.requests).toEqual([{ id: "orders", namespace: "default", port: 50002 }]);
  });

  it("fails a self-call with Internal when there is no app channel", async () => {
    const { dm, remote } = setup();
    const err = await failure(dm.invoke("me", request()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe("app channel is not initialized");
    expect(remote.attempts).toHaveLength(0);
  });

  it("exposes its own identity", () => {
    expect(setup({ namespace: "prod" }).dm.self).toEqual({ appId: "me", namespace: "prod" });
  });
});

describe("DirectMessaging: app id parsing (spec §2.2)", () => {
  it("splits `id.namespace` into the context target and the resolve request", async () => {
    const { dm, remote, resolver } = setup();
    await dm.invoke("orders.prod", request());
    expect(remote.attempts[0]!.ctx.target).toEqual({ appId: "orders", namespace: "prod" });
    expect(resolver.requests).toEqual([{ id: "orders", namespace: "prod", port: 50002 }]);
    expect(remote.attempts[0]!.metadata.get("dapr-callee-app-id")).toBe("orders");
  });

  it("rejects an empty id and an id with two dots before any lookup", async () => {
    const { dm, remote, resolver } = setup();
    const empty = await failure(dm.invoke("", request()));
    expect(empty.code).toBe(GrpcCode.InvalidArgument);
    expect(empty.message).toBe("app id is empty");
    const dotted = await failure(dm.invoke("a.b.c", request()));
    expect(dotted.code).toBe(GrpcCode.InvalidArgument);
    expect(dotted.message).toBe("invalid app id a.b.c");
    expect(resolver.requests).toHaveLength(0);
    expect(remote.attempts).toHaveLength(0);
  });

  it("refuses external URL targets as unimplemented", async () => {
    const { dm, remote } = setup();
    const err = await failure(dm.invoke("http://example.com", request()));
    expect(err.code).toBe(GrpcCode.Unimplemented);
    expect(err.plain).toBe(true);
    expect(remote.attempts).toHaveLength(0);
  });
});

describe("DirectMessaging: method normalization (spec §2.1 step 1, §2.3)", () => {
  it("normalizes the method, writes it back, and sends the normalized form", async () => {
    const { dm, remote } = setup();
    const req = request({ method: "admin/../public//x/" });
    await dm.invoke("orders", req);
    expect(req.method).toBe("public/x");
    expect(remote.attempts[0]!.method).toBe("public/x");
  });

  it("filters see the normalized method", async () => {
    const seen: string[] = [];
    const filter: Filter = (next) => (req, ctx) => {
      seen.push(req.method);
      return next(req, ctx);
    };
    const { dm } = setup({ filters: [filter], local: async () => response() });
    await dm.invoke("me", request({ method: "../../etc/passwd" }));
    expect(seen).toEqual(["etc/passwd"]);
  });

  it("normalizes on the local path too", async () => {
    const seen: string[] = [];
    const { dm } = setup({
      local: async (req) => {
        seen.push(req.method);
        return response();
      },
    });
    await dm.invoke("me", request({ method: "/a/./b/../c" }));
    expect(seen).toEqual(["/a/c"]);
  });

  it.each(["test#x", "test?x", "a\u0000b", "a\tb", "a\r\nb"])("rejects %j with InvalidArgument `invalid method`", async (method) => {
    const { dm, remote, resolver } = setup({ local: async () => response() });
    const err = await failure(dm.invoke("orders", request({ method })));
    expect(err.code).toBe(GrpcCode.InvalidArgument);
    expect(err.message).toMatch(/^invalid method: /);
    expect(err.rpcText).toMatch(/^rpc error: code = InvalidArgument desc = invalid method: /);
    expect(remote.attempts).toHaveLength(0);
    expect(resolver.requests).toHaveLength(0);
  });
});

describe("DirectMessaging: caller stamps (spec §2.1, §2.6, §11 row 1)", () => {
  const spoofed = () =>
    new Metadata({
      "Dapr-Caller-App-Id": "evil",
      "dapr-caller-app-id": "evil",
      "DAPR-CALLER-NAMESPACE": "evil",
      "Dapr-Callee-App-Id": "evil",
      "Destination-App-Id": "evil",
      "Dapr-Api-Token": "secret",
      "X-Forwarded-For": "203.0.113.1",
      "X-Keep": "yes",
    });

  it("remote: strips spoofed identity in every casing and stamps the real one", async () => {
    const { dm, remote } = setup();
    await dm.invoke("orders", request({ metadata: spoofed() }));
    const md = remote.attempts[0]!.metadata;
    expect(md.getAll("dapr-caller-app-id")).toEqual(["me"]);
    expect(md.getAll("dapr-caller-namespace")).toEqual(["default"]);
    expect(md.getAll("dapr-callee-app-id")).toEqual(["orders"]);
    expect(md.getAll("destination-app-id")).toEqual(["orders"]);
    expect(md.has("dapr-api-token")).toBe(false);
    expect(md.getAll("X-Keep")).toEqual(["yes"]);
    // Appended after the app's own proxy chain.
    expect(md.getAll("X-Forwarded-For")).toEqual(["203.0.113.1", "192.0.2.10"]);
    expect(md.getAll("X-Forwarded-Host")).toEqual(["caller-host"]);
    expect(md.getAll("Forwarded")).toEqual(["for=192.0.2.10;by=192.0.2.10;host=caller-host"]);
  });

  it("local: strips spoofed identity and stamps own id, without forwarding headers", async () => {
    let md: Metadata | undefined;
    const { dm } = setup({
      local: async (req) => {
        md = req.metadata;
        return response();
      },
    });
    await dm.invoke("me", request({ metadata: spoofed() }));
    expect(md!.getAll("dapr-caller-app-id")).toEqual(["me"]);
    expect(md!.getAll("dapr-caller-namespace")).toEqual(["default"]);
    expect(md!.getAll("dapr-callee-app-id")).toEqual(["me"]);
    expect(md!.has("destination-app-id")).toBe(false);
    expect(md!.has("dapr-api-token")).toBe(false);
    expect(md!.getAll("X-Forwarded-For")).toEqual(["203.0.113.1"]);
    expect(md!.has("Forwarded")).toBe(false);
  });

  it("stamps once per call, not once per retry attempt", async () => {
    const { dm, remote } = setup({ script: [async () => Promise.reject(unavailable()), async () => response()] });
    await dm.invoke("orders", request());
    expect(remote.attempts).toHaveLength(2);
    expect(remote.attempts[1]!.metadata.getAll("X-Forwarded-For")).toEqual(["192.0.2.10"]);
    expect(remote.attempts[1]!.metadata.getAll("Forwarded")).toHaveLength(1);
  });
});

describe("DirectMessaging: context", () => {
  it("passes signal, deadline and attributes to filters and the remote; caller side, caller = self", async () => {
    const seen: InvokeContext[] = [];
    const filter: Filter = (next) => (req, ctx) => {
      seen.push(ctx);
      return next(req, ctx);
    };
    const { dm, remote } = setup({ filters: [filter] });
    const ac = new AbortController();
    const attributes = new Map<string | symbol, unknown>([["k", "v"]]);
    await dm.invoke("orders", request(), { signal: ac.signal, deadline: 12345, attributes });
    expect(seen[0]!.side).toBe("caller");
    expect(seen[0]!.caller).toEqual({ appId: "me", namespace: "default" });
    expect(seen[0]!.signal).toBe(ac.signal);
    expect(seen[0]!.deadline).toBe(12345);
    expect(seen[0]!.attributes).toBe(attributes);
    expect(remote.attempts[0]!.ctx.signal).toBe(ac.signal);
  });

  it("runs caller filters outermost first around both paths", async () => {
    const log: string[] = [];
    const named =
      (n: string): Filter =>
      (next) =>
      async (req, ctx) => {
        log.push(`${n}>`);
        const res = await next(req, ctx);
        log.push(`<${n}`);
        return res;
      };
    const { dm } = setup({ filters: [named("a"), named("b")], local: async () => response() });
    await dm.invoke("me", request());
    await dm.invoke("orders", request());
    expect(log).toEqual(["a>", "b>", "<b", "<a", "a>", "b>", "<b", "<a"]);
  });
});

describe("DirectMessaging: built-in retry (spec §2.9, §5.5)", () => {
  it("uses daprd's defaults when not configured", () => {
    expect(BUILT_IN_RETRY).toEqual({ intervalMs: 1000, maxRetries: 3 });
  });

  it("retries Unavailable 3 times, then fails with daprd's text", async () => {
    const { dm, remote } = setup({ script: [async () => Promise.reject(unavailable("dial tcp 10.0.0.1:50002: connect: connection refused"))] });
    const err = await failure(dm.invoke("orders", request()));
    expect(remote.attempts).toHaveLength(4);
    expect(err.code).toBe(GrpcCode.Unavailable);
    expect(err.plain).toBe(true);
    expect(err.message).toBe(
      "failed to invoke target orders after 3 retries. Error: rpc error: code = Unavailable desc = dial tcp 10.0.0.1:50002: connect: connection refused",
    );
    expect(err.apiText).toBe(err.message);
    expect(err.cause).toBeInstanceOf(InvocationError);
  });

  it("retries Unauthenticated like Unavailable", async () => {
    const { dm, remote } = setup({ script: [async () => Promise.reject(new InvocationError(GrpcCode.Unauthenticated, "bad cert"))] });
    const err = await failure(dm.invoke("orders", request()));
    expect(remote.attempts).toHaveLength(4);
    expect(err.code).toBe(GrpcCode.Unauthenticated);
    expect(err.message).toBe("failed to invoke target orders after 3 retries. Error: rpc error: code = Unauthenticated desc = bad cert");
  });

  it("returns the first success after failures", async () => {
    const { dm, remote } = setup({
      script: [async () => Promise.reject(unavailable()), async () => Promise.reject(unavailable()), async () => response(201)],
    });
    const res = await dm.invoke("orders", request());
    expect(res.status).toBe(201);
    expect(remote.attempts).toHaveLength(3);
  });

  it.each([
    ["Internal", new InvocationError(GrpcCode.Internal, "error invoking app channel: boom")],
    ["PermissionDenied", new InvocationError(GrpcCode.PermissionDenied, "denied")],
    ["DeadlineExceeded", new InvocationError(GrpcCode.DeadlineExceeded, "deadline")],
    ["Unknown", new InvocationError(GrpcCode.Unknown, "?")],
    ["a non-InvocationError", new Error("something else")],
  ])("returns %s at once without retrying, resetting or invalidating", async (_name, error) => {
    const { dm, remote, events } = setup({ script: [async () => Promise.reject(error)] });
    const err = await dm.invoke("orders", request()).catch((e: unknown) => e);
    expect(err).toBe(error);
    expect(remote.attempts).toHaveLength(1);
    expect(remote.resets).toEqual([]);
    expect(events.filter((e) => e.startsWith("invalidate"))).toEqual([]);
  });

  it("a non-2xx app answer is a response, not a retryable error", async () => {
    const { dm, remote } = setup({ script: [async () => response(503)] });
    expect((await dm.invoke("orders", request())).status).toBe(503);
    expect(remote.attempts).toHaveLength(1);
  });

  it("resets the connection and invalidates the resolver entry before each retry", async () => {
    const { dm, events } = setup({ script: [async () => Promise.reject(unavailable())] });
    await dm.invoke("orders.prod", request()).catch(() => {});
    const attempt = ["resolve prod/orders", "invoke 10.0.0.1:50002"];
    const between = ["reset 10.0.0.1:50002", "invalidate prod/orders/50002"];
    expect(events).toEqual([...attempt, ...between, ...attempt, ...between, ...attempt, ...between, ...attempt, ...between]);
  });

  it("a retry may go to another address", async () => {
    const { dm, remote } = setup({
      answers: [["10.0.0.1:50002"], ["10.0.0.2:50002"]],
      script: [async () => Promise.reject(unavailable()), async () => response(200)],
    });
    const res = await dm.invoke("orders", request());
    expect(res.status).toBe(200);
    expect(remote.attempts.map((a) => a.address)).toEqual(["10.0.0.1:50002", "10.0.0.2:50002"]);
    expect(remote.resets).toEqual(["10.0.0.1:50002"]);
  });

  it("raises a configured maxRetries below 3 to 3", async () => {
    const { dm, remote } = setup({ builtInRetry: { intervalMs: 1, maxRetries: 1 }, script: [async () => Promise.reject(unavailable())] });
    const err = await failure(dm.invoke("orders", request()));
    expect(remote.attempts).toHaveLength(4);
    expect(err.message).toMatch(/^failed to invoke target orders after 3 retries\. /);
  });

  it("keeps a configured maxRetries above 3", async () => {
    const { dm, remote } = setup({ builtInRetry: { intervalMs: 1, maxRetries: 5 }, script: [async () => Promise.reject(unavailable())] });
    const err = await failure(dm.invoke("orders", request()));
    expect(remote.attempts).toHaveLength(6);
    expect(err.message).toMatch(/^failed to invoke target orders after 5 retries\. /);
  });

  it("waits the configured interval between attempts", async () => {
    const { dm, remote } = setup({ builtInRetry: { intervalMs: 30, maxRetries: 3 }, script: [async () => Promise.reject(unavailable())] });
    const started = performance.now();
    await dm.invoke("orders", request()).catch(() => {});
    expect(remote.attempts).toHaveLength(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(85);
  });

  it("never retries a streaming request (unknown length) and hands it the original body", async () => {
    const body = pieces("a", "b");
    const error = unavailable();
    const { dm, remote, events } = setup({ script: [async () => Promise.reject(error)] });
    const err = await dm.invoke("orders", request({ body, contentLength: undefined })).catch((e: unknown) => e);
    expect(err).toBe(error);
    expect(remote.attempts).toHaveLength(1);
    expect(remote.attempts[0]!.body).toBe(body);
    // The connection is still reset and the address forgotten for the next call.
    expect(events).toContain("reset 10.0.0.1:50002");
    expect(events).toContain("invalidate default/orders/50002");
  });

  it("replays the request body byte-exact on a retry after a partial read", async () => {
    const parts = ["alpha-", "beta-", "gamma-", "delta"];
    const received: string[] = [];
    const { dm, remote } = setup({
      script: [
        async (a) => {
          // Read only part of the body, then the connection drops.
          const it = a.body[Symbol.asyncIterator]();
          await it.next();
          await it.next();
          throw unavailable();
        },
        async (a) => {
          // Read everything, then fail again.
          received.push(new TextDecoder().decode(await readBody(a.body)));
          throw unavailable();
        },
        async (a) => {
          received.push(new TextDecoder().decode(await readBody(a.body)));
          return response();
        },
      ],
    });
    await dm.invoke("orders", request({ body: pieces(...parts), contentLength: parts.join("").length }));
    expect(remote.attempts).toHaveLength(3);
    expect(received).toEqual([parts.join(""), parts.join("")]);
  });

  it("replays binary bodies byte for byte", async () => {
    const bytes = new Uint8Array(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    const got: Uint8Array[] = [];
    const { dm } = setup({
      script: [
        async (a) => {
          got.push(await readBody(a.body));
          throw unavailable();
        },
        async (a) => {
          got.push(await readBody(a.body));
          return response();
        },
      ],
    });
    await dm.invoke("orders", request({ body: bodyFromBytes(bytes), contentLength: bytes.length }));
    expect(got).toHaveLength(2);
    expect(Buffer.from(got[0]!).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(got[1]!).equals(Buffer.from(bytes))).toBe(true);
  });

  it("does not retry once the body outgrew the replay buffer", async () => {
    const error = unavailable();
    const { dm, remote } = setup({
      replayLimit: 4,
      script: [
        async (a) => {
          await readBody(a.body);
          throw error;
        },
      ],
    });
    const err = await dm.invoke("orders", request({ body: pieces("abc", "def"), contentLength: 6 })).catch((e: unknown) => e);
    expect(err).toBe(error);
    expect(remote.attempts).toHaveLength(1);
  });

  it("a resolution failure is a plain Internal error and is not retried", async () => {
    const { dm, resolver, remote } = setup({ answers: [[]] });
    const err = await failure(dm.invoke("orders", request()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.plain).toBe(true);
    expect(err.message).toBe("couldn't find app id orders in namespace default");
    expect(err.apiText).toBe("couldn't find app id orders in namespace default");
    expect(resolver.requests).toHaveLength(1);
    expect(remote.attempts).toHaveLength(0);
  });

  it("a resolver failure is a plain Internal error with the resolver's text, not retried", async () => {
    const { dm, resolver, remote } = setup({ answers: [new Error("registry unreadable")] });
    const err = await failure(dm.invoke("orders", request()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.plain).toBe(true);
    expect(err.message).toContain("registry unreadable");
    expect(resolver.requests).toHaveLength(1);
    expect(remote.attempts).toHaveLength(0);
  });
});

describe("DirectMessaging: cancellation", () => {
  it("an abort during resolution fails with Canceled, not Internal", async () => {
    const ac = new AbortController();
    const { dm, remote } = setup({
      answers: [
        (signal) =>
          new Promise<string[]>((_resolve, reject) => {
            signal?.addEventListener("abort", () => reject(new Error("lookup aborted")), { once: true });
          }),
      ],
    });
    const pending = dm.invoke("orders", request(), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const err = await failure(pending);
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(remote.attempts).toHaveLength(0);
  });

  it("an abort during resolution of a streaming request fails with Canceled too", async () => {
    const ac = new AbortController();
    const { dm } = setup({ answers: [() => new Promise<string[]>(() => {})] });
    const pending = dm.invoke("orders", request({ contentLength: undefined }), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect((await failure(pending)).code).toBe(GrpcCode.Canceled);
  });

  it("an abort reason that is an InvocationError is kept", async () => {
    const ac = new AbortController();
    const reason = new InvocationError(GrpcCode.DeadlineExceeded, "context deadline exceeded");
    const { dm } = setup({ answers: [() => new Promise<string[]>(() => {})] });
    const pending = dm.invoke("orders", request(), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort(reason);
    expect(await pending.catch((e: unknown) => e)).toBe(reason);
  });

  it("an abort while waiting between retries fails with Canceled and stops retrying", async () => {
    const ac = new AbortController();
    const { dm, remote } = setup({ builtInRetry: { intervalMs: 10_000, maxRetries: 3 }, script: [async () => Promise.reject(unavailable())] });
    const pending = dm.invoke("orders", request(), { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 10));
    expect(remote.attempts).toHaveLength(1);
    ac.abort();
    const err = await failure(pending);
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(remote.attempts).toHaveLength(1);
  });

  it("a deadline (TimeoutError abort) fails with DeadlineExceeded", async () => {
    const { dm, remote } = setup({ builtInRetry: { intervalMs: 10_000, maxRetries: 3 }, script: [async () => Promise.reject(unavailable())] });
    const err = await failure(dm.invoke("orders", request(), { signal: AbortSignal.timeout(20) }));
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
    expect(err.message).toBe("context deadline exceeded");
    expect(remote.attempts).toHaveLength(1);
  });

  it("an already aborted call fails with Canceled without any attempt", async () => {
    const { dm, remote } = setup();
    const err = await failure(dm.invoke("orders", request(), { signal: AbortSignal.abort() }));
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(remote.attempts).toHaveLength(0);
  });
});
