/**
 * InternalGrpcClient ↔ InternalGrpcServer over real sockets on 127.0.0.1, with a
 * CalleeDispatcher and a fake AppChannel behind the server (spec §1.2, §2.8–§2.10, §3.1, §3.2).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { InternalInvokeRequestStreamSchema, type InternalInvokeRequestStream } from "@courier/protos";
import { afterEach, describe, expect, it } from "vitest";
import type { AppChannel } from "../channel/app-channel.js";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Filter } from "../filters/filter.js";
import { silentLogger } from "../logger.js";
import { CalleeDispatcher } from "../messaging/callee-dispatcher.js";
import { bodyFromBytes, emptyBody, readBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import { HTTP_VERBS, type InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { encodeFrame } from "./grpc-frame.js";
import { InternalGrpcClient } from "./internal-client.js";
import { InternalGrpcServer } from "./internal-server.js";
import { toInternalRequest } from "./proto-convert.js";
import { CALL_LOCAL_STREAM_PATH } from "./service-definition.js";

const MAX = 4 * 1024 * 1024;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

type Handler = (req: InvokeRequest, ctx: InvokeContext) => Promise<InvokeResponse>;

class FakeChannel implements AppChannel {
  readonly protocol = "http" as const;
  readonly calls: { req: InvokeRequest; ctx: InvokeContext }[] = [];
  constructor(public handler: Handler) {}
  invoke(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    this.calls.push({ req, ctx });
    return this.handler(req, ctx);
  }
  async probe(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function response(partial: Partial<InvokeResponse> = {}): InvokeResponse {
  return {
    status: 200,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata(),
    trailers: new Metadata(),
    contentType: "",
    dataTypeUrl: "",
    body: emptyBody(),
    ...partial,
  };
}

function request(partial: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    method: "echo",
    verb: "POST",
    query: "",
    contentType: "application/octet-stream",
    dataTypeUrl: "",
    metadata: new Metadata([
      ["dapr-caller-app-id", "caller"],
      ["dapr-callee-app-id", "callee"],
    ]),
    body: emptyBody(),
    ...partial,
  };
}

function context(opts: { signal?: AbortSignal; deadline?: number } = {}): InvokeContext {
  return {
    signal: opts.signal ?? new AbortController().signal,
    deadline: opts.deadline,
    side: "caller",
    target: { appId: "callee", namespace: "default" },
    caller: { appId: "caller", namespace: "default" },
    log: silentLogger,
    attributes: new Map(),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) {
    try {
      const fn = cleanups.pop()!;
      const t = Date.now();
      await fn();
      if (process.env.DEBUG_CLEANUP) console.log("cleanup", Date.now() - t, fn.toString().slice(0, 60));
    } catch {
      /* best effort */
    }
  }
});

async function startServer(opts: { channel?: AppChannel; filters?: Filter[]; maxMessageSize?: number } = {}) {
  const dispatcher = new CalleeDispatcher({ appId: "callee", namespace: "default", channel: opts.channel, filters: opts.filters });
  const server = new InternalGrpcServer({ dispatcher, maxMessageSize: opts.maxMessageSize ?? MAX });
  const port = await server.listen(0);
  cleanups.push(() => server.close(0));
  return { server, port, address: `127.0.0.1:${port}` };
}

function newClient(): InternalGrpcClient {
  const client = new InternalGrpcClient({ maxMessageSize: MAX });
  cleanups.push(() => client.close());
  return client;
}

/** A server + channel + client trio. */
async function setup(handler: Handler, opts: { filters?: Filter[] } = {}) {
  const channel = new FakeChannel(handler);
  const { server, address, port } = await startServer({ channel, filters: opts.filters });
  return { channel, server, address, port, client: newClient() };
}

/** A TCP forwarder that counts connections and can kill them like a crashed process would. */
class TcpProxy {
  connections = 0;
  readonly #sockets = new Set<net.Socket>();
  readonly #server: net.Server;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.#server = net.createServer((inbound) => {
      this.connections++;
      const outbound = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => this.#sockets.delete(s));
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    cleanups.push(() => proxy.close());
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Client-side connections still open. */
  get open(): number {
    return [...this.#sockets].length / 2;
  }

  /** Resolves once every proxied connection has closed. */
  async drained(ms: number, what: string): Promise<void> {
    await within(
      (async () => {
        while (this.#sockets.size > 0) await sleep(10);
      })(),
      ms,
      what,
    );
  }

  /** Stops forwarding in both directions but keeps the sockets open: a peer that vanished. */
  freeze(): void {
    for (const s of this.#sockets) {
      s.unpipe();
      s.pause();
    }
  }

  /** Resets every connection (TCP RST both ways), as when the peer's process dies. */
  kill(): void {
    for (const s of this.#sockets) s.resetAndDestroy();
  }

  close(): Promise<void> {
    this.kill();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Fails fast instead of running into the test timeout when something hangs. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(promise: Promise<unknown>, ms = 10_000, what = "call"): Promise<InvocationError> {
  const err = await within(
    promise.then(
      () => undefined,
      (e: unknown) => e,
    ),
    ms,
    what,
  );
  expect(err, `${what} should have failed`).toBeInstanceOf(InvocationError);
  return err as InvocationError;
}

function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason), { once: true }));
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

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Fast deterministic pseudo-random bytes (xorshift), so a digest catches reordering and loss. */
function fill(buf: Uint8Array, seed: number): void {
  let x = seed | 1;
  const view = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view[i] = x >>> 0;
  }
}

/** A generated body of `total` bytes, hashed as it is produced; `produced` counts what was pulled. */
function generatedBody(total: number, chunkSize = 64 * 1024) {
  const hash = createHash("sha256");
  const state = { produced: 0, finished: false, closed: false, digest: "" };
  const body: BodyStream = {
    async *[Symbol.asyncIterator]() {
      try {
        let seed = 1;
        while (state.produced < total) {
          const chunk = new Uint8Array(Math.min(chunkSize, total - state.produced));
          fill(chunk, seed++);
          hash.update(chunk);
          state.produced += chunk.byteLength;
          yield chunk;
        }
        state.finished = true;
        state.digest = hash.digest("hex");
      } finally {
        state.closed = true;
      }
    },
  };
  return { body, state };
}

/** Reads a body, hashing it; `onChunk` sees the running byte count. */
async function digestOf(body: BodyStream, onChunk?: (consumed: number) => Promise<void> | void): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.byteLength;
    await onChunk?.(size);
  }
  return { digest: hash.digest("hex"), size };
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

async function bodyText(body: BodyStream): Promise<string> {
  return new TextDecoder().decode(await readBody(body));
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("round trip", () => {
  it("carries method, verb, query, metadata, content type, type URL and body to the app, and the app's answer back", async () => {
    const { channel, address, client } = await setup(async (req) =>
      response({
        status: 201,
        statusMessage: "created",
        headers: new Metadata([
          ["Content-Type", "text/plain"],
          ["X-Multi", ["a", "b"]],
          ["X-Unicode", "héllo wörld"],
        ]),
        trailers: new Metadata([["x-trailer", "t1"]]),
        contentType: "text/plain",
        dataTypeUrl: "type.googleapis.com/example.Answer",
        body: bodyFromBytes(`answer to ${req.method}: ${await bodyText(req.body)}`),
      }),
    );
    const metadata = new Metadata([
      ["dapr-caller-app-id", "caller"],
      ["dapr-callee-app-id", "callee"],
      ["X-Multi", ["1", "2", "3"]],
      ["x-unicode", "ünïcödé ✓"],
      ["grpc-trace-bin", Buffer.from([0, 1, 2, 255]).toString("base64")],
      ["Content-Length", "5"],
    ]);
    const res = await client.invoke(
      address,
      request({
        method: "api/v1/./orders/../orders",
        verb: "PATCH",
        query: "a=1&b=%20x&c=%C3%A9",
        contentType: "application/json",
        dataTypeUrl: "type.googleapis.com/example.Order",
        metadata,
        body: bodyFromBytes("hello"),
        contentLength: 5,
      }),
      context(),
    );

    expect(channel.calls).toHaveLength(1);
    const seen = channel.calls[0]!.req;
    // The callee normalizes the method (spec §3.1 step 3).
    expect(seen.method).toBe("api/v1/orders");
    expect(seen.verb).toBe("PATCH");
    expect(seen.query).toBe("a=1&b=%20x&c=%C3%A9");
    expect(seen.contentType).toBe("application/json");
    expect(seen.dataTypeUrl).toBe("type.googleapis.com/example.Order");
    expect(seen.metadata.toRecord()).toEqual(metadata.toRecord());
    expect(seen.contentLength).toBe(5);
    expect(channel.calls[0]!.ctx.side).toBe("callee");
    expect(channel.calls[0]!.ctx.caller).toEqual({ appId: "caller", namespace: "" });

    expect(res.status).toBe(201);
    expect(res.statusMessage).toBe("created");
    expect(res.headers.toRecord()).toEqual({ "Content-Type": ["text/plain"], "X-Multi": ["a", "b"], "X-Unicode": ["héllo wörld"] });
    expect(res.trailers.toRecord()).toEqual({ "x-trailer": ["t1"] });
    expect(res.contentType).toBe("text/plain");
    expect(res.dataTypeUrl).toBe("type.googleapis.com/example.Answer");
    expect(await bodyText(res.body)).toBe("answer to api/v1/orders: hello");
  });

  it.each(HTTP_VERBS.filter((v) => v !== "NONE"))("verb %s arrives as sent", async (verb) => {
    const { channel, address, client } = await setup(async () => response());
    await client.invoke(address, request({ verb }), context());
    expect(channel.calls[0]!.req.verb).toBe(verb);
  });

  it("empty bodies both ways; no Content-Length metadata means an unknown length", async () => {
    const { channel, address, client } = await setup(async () => response({ status: 204 }));
    const res = await client.invoke(address, request({ body: emptyBody() }), context());
    expect(res.status).toBe(204);
    expect((await readBody(res.body)).byteLength).toBe(0);
    expect((await readBody(channel.calls[0]!.req.body)).byteLength).toBe(0);
    expect(channel.calls[0]!.req.contentLength).toBeUndefined();
  });

  it("a gRPC app's status, message and details pass through untouched", async () => {
    const details = [{ $typeName: "google.protobuf.Any" as const, typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: new Uint8Array([8, 1]) }];
    const { address, client } = await setup(async () =>
      response({ status: GrpcCode.NotFound, statusMessage: "no such order: ünïcödé 100%", statusDetails: details }),
    );
    const res = await client.invoke(address, request(), context());
    // The app's gRPC status travels inside the message; the transport call itself is OK (spec §1.2).
    expect(res.status).toBe(GrpcCode.NotFound);
    expect(res.statusMessage).toBe("no such order: ünïcödé 100%");
    expect(res.statusDetails.map((d) => [d.typeUrl, [...d.value]])).toEqual([["type.googleapis.com/google.rpc.ErrorInfo", [8, 1]]]);
  });

  it("the response body streams: the client gets the header before the app has finished its body", async () => {
    const gate = deferred();
    const { address, client } = await setup(async () =>
      response({
        body: {
          async *[Symbol.asyncIterator]() {
            yield text("first;");
            await gate.promise;
            yield text("second");
          },
        },
      }),
    );
    const res = await within(client.invoke(address, request(), context()), 5000, "leading chunk");
    const it = res.body[Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await within(it.next(), 5000, "first chunk")).value)).toBe("first;");
    gate.resolve();
    expect(new TextDecoder().decode((await it.next()).value)).toBe("second");
    expect((await it.next()).done).toBe(true);
  });
});

describe("large streamed bodies", () => {
  it("32 MiB upload: byte-exact, the app sees the first chunk long before the last is produced, and the producer never runs far ahead", async () => {
    const total = 32 * MiB;
    const upload = generatedBody(total);
    let producedAtFirstChunk = -1;
    let maxLead = 0;
    const { address, client } = await setup(async (req) => {
      const { digest, size } = await digestOf(req.body, async (consumed) => {
        if (producedAtFirstChunk < 0) producedAtFirstChunk = upload.state.produced;
        maxLead = Math.max(maxLead, upload.state.produced - consumed);
        // A slow app: back-pressure must reach the producer instead of buffering the body.
        if (consumed % MiB < 2048) await sleep(2);
      });
      return response({ body: bodyFromBytes(`${size}:${digest}`) });
    });
    const res = await within(client.invoke(address, request({ body: upload.body, contentLength: total }), context()), 60_000, "upload");
    const answer = await bodyText(res.body);
    expect(upload.state.finished).toBe(true);
    expect(answer).toBe(`${total}:${upload.state.digest}`);
    expect(producedAtFirstChunk).toBeGreaterThan(0);
    expect(producedAtFirstChunk).toBeLessThan(4 * MiB);
    // Windows (1 MiB per stream) plus socket and stream buffers; nowhere near the 32 MiB body.
    expect(maxLead).toBeLessThan(8 * MiB);
  }, 60_000);

  it("32 MiB download: byte-exact, streamed, with the app's producer held back by a slow reader", async () => {
    const total = 32 * MiB;
    const download = generatedBody(total);
    const { address, client } = await setup(async () => response({ body: download.body }));
    const res = await within(client.invoke(address, request(), context()), 10_000, "download header");
    expect(download.state.produced).toBeLessThan(8 * MiB);
    let maxLead = 0;
    const { digest, size } = await digestOf(res.body, async (consumed) => {
      maxLead = Math.max(maxLead, download.state.produced - consumed);
      if (consumed % MiB < 2048) await sleep(2);
    });
    expect(size).toBe(total);
    expect(digest).toBe(download.state.digest);
    expect(maxLead).toBeLessThan(8 * MiB);
  }, 60_000);

  it("16 MiB full-duplex echo: the app answers with the request body while it is still arriving", async () => {
    const total = 16 * MiB;
    const upload = generatedBody(total);
    const { address, client } = await setup(async (req) => response({ body: req.body }));
    const res = await within(client.invoke(address, request({ body: upload.body }), context()), 10_000, "echo header");
    // The answer header came back before the caller finished sending (true bidi streaming).
    expect(upload.state.finished).toBe(false);
    const { digest, size } = await digestOf(res.body);
    expect(size).toBe(total);
    expect(digest).toBe(upload.state.digest);
  }, 60_000);

  it("a known-length body larger than the max message size still streams (no unary limit on CallLocalStream)", async () => {
    const total = MAX * 2 + 3;
    const upload = generatedBody(total, 1 * MiB);
    const { address, client } = await setup(async (req) => response({ body: bodyFromBytes((await digestOf(req.body)).digest) }));
    const res = await client.invoke(address, request({ body: upload.body, contentLength: total }), context());
    expect(await bodyText(res.body)).toBe(upload.state.digest);
  });
});

describe("error statuses arrive as InvocationError with the callee's code and message", () => {
  it("InvalidArgument from method normalization (spec §2.3, §3.1)", async () => {
    const { channel, address, client } = await setup(async () => response());
    const err = await rejection(client.invoke(address, request({ method: "orders?id=1" }), context()));
    expect(err.code).toBe(GrpcCode.InvalidArgument);
    expect(err.message).toBe('invalid method: method contains forbidden character: "orders?id=1"');
    expect(channel.calls).toHaveLength(0);
  });

  it("InvalidArgument for a control character, whose message needs escaping on the wire", async () => {
    const { address, client } = await setup(async () => response());
    const err = await rejection(client.invoke(address, request({ method: "a\r\nb" }), context()));
    expect(err.code).toBe(GrpcCode.InvalidArgument);
    expect(err.message).toBe('invalid method: method contains control character at position 1: "a\\r\\nb"');
  });

  it("Internal from a channel error, with non-ASCII and % intact", async () => {
    const { address, client } = await setup(async () => {
      throw new Error("connect ECONNREFUSED — ünïcödé 100% 🚀");
    });
    const err = await rejection(client.invoke(address, request(), context()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe("error invoking app channel: connect ECONNREFUSED — ünïcödé 100% 🚀");
  });

  it("PermissionDenied from a callee filter, before the app is called", async () => {
    const deny: Filter = () => async (req, ctx) => {
      throw new InvocationError(
        GrpcCode.PermissionDenied,
        `access control policy has denied access to id: ${ctx.caller?.appId} operation: ${req.method} verb: ${req.verb}`,
      );
    };
    const { channel, address, client } = await setup(async () => response(), { filters: [deny] });
    const err = await rejection(client.invoke(address, request({ method: "admin" }), context()));
    expect(err.code).toBe(GrpcCode.PermissionDenied);
    expect(err.message).toBe("access control policy has denied access to id: caller operation: admin verb: POST");
    expect(channel.calls).toHaveLength(0);
  });

  it("Internal 'app channel is not initialized' when the callee has no app", async () => {
    const { address } = await startServer({});
    const err = await rejection(newClient().invoke(address, request(), context()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe("app channel is not initialized");
  });

  it("any other code an InvocationError carries (e.g. ResourceExhausted) passes through", async () => {
    const { address, client } = await setup(async () => {
      throw new InvocationError(GrpcCode.ResourceExhausted, "too many calls");
    });
    const err = await rejection(client.invoke(address, request(), context()));
    expect(err.code).toBe(GrpcCode.ResourceExhausted);
    expect(err.message).toBe("too many calls");
  });

  it("an app body that fails after the header went out fails the caller's body read with the status from the trailers", async () => {
    const { address, client } = await setup(async () =>
      response({
        body: {
          async *[Symbol.asyncIterator]() {
            yield text("partial");
            throw new InvocationError(GrpcCode.DataLoss, "app connection lost — ü");
          },
        },
      }),
    );
    const res = await client.invoke(address, request(), context());
    expect(res.status).toBe(200);
    const got: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const c of res.body) got.push(new TextDecoder().decode(c));
      })(),
    );
    expect(got.join("")).toBe("partial");
    expect(err.code).toBe(GrpcCode.DataLoss);
    expect(err.message).toBe("app connection lost — ü");
  });

  it("the session stays usable after error statuses", async () => {
    let n = 0;
    const { address, client } = await setup(async () => {
      if (n++ % 2 === 0) throw new Error("odd failure");
      return response({ body: bodyFromBytes("ok") });
    });
    for (let i = 0; i < 6; i++) {
      const p = client.invoke(address, request(), context());
      if (i % 2 === 0) expect((await rejection(p)).code).toBe(GrpcCode.Internal);
      else expect(await bodyText((await p).body)).toBe("ok");
    }
  });
});

describe("deadlines", () => {
  it("ctx.deadline reaches the dispatcher and the app as about the same absolute time", async () => {
    const { channel, address, client } = await setup(async () => response());
    const deadline = Date.now() + 5000;
    await client.invoke(address, request(), context({ deadline }));
    const seen = channel.calls[0]!.ctx.deadline!;
    expect(seen).toBeDefined();
    expect(Math.abs(seen - deadline)).toBeLessThan(100);
  });

  it("no deadline means none on the callee either", async () => {
    const { channel, address, client } = await setup(async () => response());
    await client.invoke(address, request(), context());
    expect(channel.calls[0]!.ctx.deadline).toBeUndefined();
  });

  it("an app slower than the deadline that ignores its signal: DeadlineExceeded at about the deadline", async () => {
    const { channel, address, client } = await setup(async () => {
      await sleep(3000);
      return response();
    });
    const started = Date.now();
    const err = await rejection(client.invoke(address, request(), context({ deadline: started + 300 })), 2500);
    const elapsed = Date.now() - started;
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    // The callee's signal fired too: by its own deadline timer (DeadlineExceeded) or by the
    // caller's cancel arriving first (Canceled) — both clocks fire at about the same moment.
    // The server-only path is pinned down in "server robustness against raw HTTP/2 peers".
    const reason = await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
    expect([GrpcCode.DeadlineExceeded, GrpcCode.Canceled]).toContain((reason as InvocationError).code);
  });

  it("an app that honours its signal: DeadlineExceeded, and the app saw the abort", async () => {
    const { channel, address, client } = await setup(async (_req, ctx) => {
      await aborted(ctx.signal);
      throw ctx.signal.reason;
    });
    const err = await rejection(client.invoke(address, request(), context({ deadline: Date.now() + 200 })), 3000);
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
  });

  it("the deadline also bounds the response body", async () => {
    const { address, client } = await setup(async () =>
      response({
        body: {
          async *[Symbol.asyncIterator]() {
            for (;;) {
              yield text("tick");
              await sleep(50);
            }
          },
        },
      }),
    );
    const res = await client.invoke(address, request(), context({ deadline: Date.now() + 400 }));
    const err = await rejection(
      (async () => {
        for await (const _ of res.body) {
          /* keep reading */
        }
      })(),
      3000,
      "reading a body past the deadline",
    );
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
  });

  it("a deadline already past fails the call without the app doing the work", async () => {
    const { address, client } = await setup(async () => {
      await sleep(2000);
      return response();
    });
    const err = await rejection(client.invoke(address, request(), context({ deadline: Date.now() - 10 })), 1500);
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
  });
});

describe("cancellation", () => {
  it("the caller's abort cancels the callee's signal and fails the call with Canceled", async () => {
    const entered = deferred();
    const { channel, address, client } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      await sleep(5000); // an app that does not stop at once must not hold the caller
      return response();
    });
    const controller = new AbortController();
    const call = client.invoke(address, request(), context({ signal: controller.signal }));
    await within(entered.promise, 5000, "app entered");
    controller.abort();
    const err = await rejection(call, 2000);
    expect(err.code).toBe(GrpcCode.Canceled);
    const reason = await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
    expect((reason as InvocationError).code).toBe(GrpcCode.Canceled);
  });

  it("an abort reason that is an InvocationError (e.g. a caller-side deadline) is what the call fails with", async () => {
    const entered = deferred();
    const { address, client } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const controller = new AbortController();
    const call = client.invoke(address, request(), context({ signal: controller.signal }));
    await entered.promise;
    controller.abort(new InvocationError(GrpcCode.DeadlineExceeded, "context deadline exceeded"));
    const err = await rejection(call, 2000);
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
  });

  it("an AbortSignal.timeout() firing reads as DeadlineExceeded", async () => {
    const { address, client } = await setup(async (_req, ctx) => {
      await aborted(ctx.signal);
      return response();
    });
    const err = await rejection(client.invoke(address, request(), context({ signal: AbortSignal.timeout(200) })), 3000);
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
  });

  it("an already-aborted signal fails at once", async () => {
    const { channel, address, client } = await setup(async () => response());
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(client.invoke(address, request(), context({ signal: controller.signal })), 1000);
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(channel.calls).toHaveLength(0);
  });

  it("aborting during a back-pressured upload fails promptly, releases the request body and cancels the callee", async () => {
    const upload = generatedBody(64 * MiB);
    const entered = deferred();
    const { channel, address, client } = await setup(async (req, ctx) => {
      // Read a little, then stall: the caller ends up waiting for 'drain'.
      const it = req.body[Symbol.asyncIterator]();
      await it.next();
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const controller = new AbortController();
    const call = client.invoke(address, request({ body: upload.body }), context({ signal: controller.signal }));
    await within(entered.promise, 5000, "app entered");
    await sleep(100);
    controller.abort();
    const err = await rejection(call, 2000);
    expect(err.code).toBe(GrpcCode.Canceled);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
    // The request body source was closed rather than left suspended forever.
    await within(
      (async () => {
        while (!upload.state.closed) await sleep(10);
      })(),
      2000,
      "request body closed",
    );
    expect(upload.state.produced).toBeLessThan(16 * MiB);
  });

  it("aborting while reading the response body stops the callee's producer", async () => {
    const download = generatedBody(1024 * MiB);
    const { channel, address, client } = await setup(async () => response({ body: download.body }));
    const controller = new AbortController();
    const res = await client.invoke(address, request(), context({ signal: controller.signal }));
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    controller.abort();
    const err = await rejection(
      (async () => {
        for (;;) if ((await it.next()).done) return;
      })(),
      3000,
      "body read after abort",
    );
    expect(err.code).toBe(GrpcCode.Canceled);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
    await within(
      (async () => {
        while (!download.state.closed) await sleep(10);
      })(),
      2000,
      "app body closed",
    );
    expect(download.state.finished).toBe(false);
  });

  it("a caller that stops reading the body early (break) cancels the stream", async () => {
    const download = generatedBody(1024 * MiB);
    const { channel, address, client } = await setup(async () => response({ body: download.body }));
    const res = await client.invoke(address, request(), context());
    for await (const _ of res.body) break;
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
    await within(
      (async () => {
        while (!download.state.closed) await sleep(10);
      })(),
      2000,
      "app body closed",
    );
  });
});

describe("connection failures", () => {
  it("connection refused → Unavailable (so DirectMessaging retries), quickly", async () => {
    const client = newClient();
    const port = await freePort();
    const started = Date.now();
    const err = await rejection(client.invoke(`127.0.0.1:${port}`, request({ body: bodyFromBytes("x"), contentLength: 1 }), context()), 5000);
    expect(err.code).toBe(GrpcCode.Unavailable);
    expect(Date.now() - started).toBeLessThan(2000);
    // And again: a failed session is not kept in the pool.
    const again = await rejection(client.invoke(`127.0.0.1:${port}`, request(), context()), 5000);
    expect(again.code).toBe(GrpcCode.Unavailable);
  });

  it("connection refused with a streaming body → Unavailable too", async () => {
    const client = newClient();
    const port = await freePort();
    const upload = generatedBody(8 * MiB);
    const err = await rejection(client.invoke(`127.0.0.1:${port}`, request({ body: upload.body }), context()), 5000);
    expect(err.code).toBe(GrpcCode.Unavailable);
  });

  it("a peer that is not HTTP/2 (an HTTP/1.1 server) → Unavailable, no hang", async () => {
    const srv = net.createServer((s) => {
      s.on("error", () => {});
      s.resume();
      s.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const err = await rejection(newClient().invoke(`127.0.0.1:${(srv.address() as net.AddressInfo).port}`, request(), context()), 5000);
    expect(err.code).toBe(GrpcCode.Unavailable);
  });

  it.each([
    [503, GrpcCode.Unavailable],
    [404, GrpcCode.Unimplemented],
    [401, GrpcCode.Unauthenticated],
    [500, GrpcCode.Unknown],
  ])("an HTTP/2 peer answering HTTP %i (no gRPC status) → code %i, and the unread answer does not pin the session", async (status, code) => {
    const srv = http2.createServer();
    let sessionClosed = false;
    srv.on("session", (session) => session.on("close", () => (sessionClosed = true)));
    srv.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.respond({ ":status": status, "content-type": "text/plain" });
      stream.end("not grpc");
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const client = new InternalGrpcClient({ maxMessageSize: MAX });
    const err = await rejection(client.invoke(`127.0.0.1:${(srv.address() as net.AddressInfo).port}`, request(), context()), 5000);
    expect(err.code).toBe(code);
    // A graceful close completes only when no stream is left: the failed call's stream, with
    // its unread DATA, must have been destroyed.
    await client.close();
    await within(
      (async () => {
        while (!sessionClosed) await sleep(10);
      })(),
      3000,
      "session closed after client.close()",
    );
  });

  it("a response message that is not valid protobuf → Internal, and the stream is released", async () => {
    const srv = http2.createServer();
    let sessionClosed = false;
    srv.on("session", (session) => session.on("close", () => (sessionClosed = true)));
    srv.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.resume();
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(encodeFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff])));
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const client = new InternalGrpcClient({ maxMessageSize: MAX });
    const err = await rejection(client.invoke(`127.0.0.1:${(srv.address() as net.AddressInfo).port}`, request(), context()), 5000);
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toMatch(/^grpc: failed to unmarshal the received message/);
    await client.close();
    await within(
      (async () => {
        while (!sessionClosed) await sleep(10);
      })(),
      3000,
      "session closed",
    );
  });

  it("a response message over the max size → ResourceExhausted", async () => {
    const srv = http2.createServer();
    srv.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.resume();
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      const header = Buffer.alloc(5);
      header.writeUInt32BE(0x7fff_ffff, 1);
      stream.write(header); // announces 2 GiB, then stalls
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const err = await rejection(newClient().invoke(`127.0.0.1:${(srv.address() as net.AddressInfo).port}`, request(), context()), 5000);
    expect(err.code).toBe(GrpcCode.ResourceExhausted);
  });

  it("server killed while the app is working → Unavailable, no hang; the next call redials", async () => {
    const entered = deferred();
    const { port, channel } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    const call = client.invoke(proxy.address, request(), context());
    await within(entered.promise, 5000, "app entered");
    proxy.kill();
    const err = await rejection(call, 5000);
    expect(err.code).toBe(GrpcCode.Unavailable);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal after the connection died");
    // No reset() needed: a dead session leaves the pool by itself.
    channel.handler = async () => response({ body: bodyFromBytes("back") });
    expect(await bodyText((await client.invoke(proxy.address, request(), context())).body)).toBe("back");
    expect(proxy.connections).toBe(2);
  });

  it("server killed while the response body streams → the body read fails with an InvocationError, no hang", async () => {
    const download = generatedBody(1024 * MiB);
    const { port } = await setup(async () => response({ body: download.body }));
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    const res = await client.invoke(proxy.address, request(), context());
    let got = 0;
    const err = await rejection(
      (async () => {
        for await (const c of res.body) {
          got += c.byteLength;
          if (got > 2 * MiB && got - c.byteLength <= 2 * MiB) proxy.kill();
        }
      })(),
      5000,
      "body read",
    );
    expect([GrpcCode.Unavailable, GrpcCode.Internal]).toContain(err.code);
  });

  it("server killed while the caller uploads → InvocationError, no hang, request body released", async () => {
    const upload = generatedBody(1024 * MiB);
    const entered = deferred();
    const { port } = await setup(async (req) => {
      // Read slowly, so the caller is mid-upload when the connection dies.
      for await (const _ of req.body) {
        entered.resolve();
        await sleep(5);
      }
      return response();
    });
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    const call = client.invoke(proxy.address, request({ body: upload.body }), context());
    await within(entered.promise, 5000, "upload started");
    await sleep(50);
    proxy.kill();
    const err = await rejection(call, 5000);
    expect([GrpcCode.Unavailable, GrpcCode.Internal]).toContain(err.code);
    await within(
      (async () => {
        while (!upload.state.closed) await sleep(10);
      })(),
      2000,
      "request body closed",
    );
  });

  it("reset(address) makes the next call dial a new session; without it, calls share one", async () => {
    const { port } = await setup(async () => response());
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    await client.invoke(proxy.address, request(), context());
    await client.invoke(proxy.address, request(), context());
    expect(proxy.connections).toBe(1);
    client.reset(proxy.address);
    await client.invoke(proxy.address, request(), context());
    expect(proxy.connections).toBe(2);
    client.reset("127.0.0.1:1"); // unknown address: no-op
    await client.invoke(proxy.address, request(), context());
    expect(proxy.connections).toBe(2);
  });

  it("reset(address) during a call fails that call with Unavailable instead of hanging it", async () => {
    const entered = deferred();
    const { address, client } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const call = client.invoke(address, request(), context());
    await entered.promise;
    client.reset(address);
    expect((await rejection(call, 3000)).code).toBe(GrpcCode.Unavailable);
  });
});

describe("stream and session lifetime", () => {
  it("failed calls (trailers-only errors, HTTP errors, cancels) leave no stream behind: the session closes on client.close()", async () => {
    let n = 0;
    const { port } = await setup(async (_req, ctx) => {
      switch (n++ % 3) {
        case 0:
          throw new InvocationError(GrpcCode.PermissionDenied, "denied");
        case 1:
          await aborted(ctx.signal);
          return response();
        default:
          return response({ body: bodyFromBytes("ok") });
      }
    });
    const proxy = await TcpProxy.start(port);
    const client = new InternalGrpcClient({ maxMessageSize: MAX });
    for (let i = 0; i < 9; i++) {
      if (i % 3 === 1) {
        const controller = new AbortController();
        const call = client.invoke(proxy.address, request(), context({ signal: controller.signal }));
        await sleep(20);
        controller.abort();
        await rejection(call);
      } else if (i % 3 === 0) {
        await rejection(client.invoke(proxy.address, request(), context()));
      } else {
        await readBody((await client.invoke(proxy.address, request(), context())).body);
      }
    }
    expect(proxy.connections).toBe(1);
    await client.close();
    // A graceful session close completes only once no stream is left open on it.
    await proxy.drained(3000, "session closed after client.close()");
  });

  it("an idle session is closed by the pool once its calls (failed ones included) are over", async () => {
    const { port } = await setup(async () => {
      throw new Error("always fails");
    });
    const proxy = await TcpProxy.start(port);
    const client = new InternalGrpcClient({ maxMessageSize: MAX, keepaliveMs: 50, idleMs: 100 });
    cleanups.push(() => client.close());
    for (let i = 0; i < 5; i++) await rejection(client.invoke(proxy.address, request(), context()));
    await proxy.drained(3000, "idle session closed");
  });

  it("the app answers without reading the upload: the call succeeds, the upload stops, the request body is released", async () => {
    const upload = generatedBody(256 * MiB);
    const { port } = await setup(async () => response({ status: 413, body: bodyFromBytes("too big, not reading it") }));
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    const res = await within(client.invoke(proxy.address, request({ body: upload.body }), context()), 5000, "early answer");
    expect(res.status).toBe(413);
    expect(await within(bodyText(res.body), 5000, "early answer body")).toBe("too big, not reading it");
    await within(
      (async () => {
        while (!upload.state.closed) await sleep(10);
      })(),
      3000,
      "request body released",
    );
    expect(upload.state.finished).toBe(false);
    expect(upload.state.produced).toBeLessThan(32 * MiB);
    // The session is still good, and nothing keeps it open.
    const again = await client.invoke(proxy.address, request(), context());
    expect(again.status).toBe(413);
    await readBody(again.body);
    await client.close();
    await proxy.drained(3000, "session closed");
  });

  it("a callee filter rejecting a large streaming upload: PermissionDenied, and the request body is released", async () => {
    const upload = generatedBody(256 * MiB);
    const deny: Filter = () => async () => {
      throw new InvocationError(GrpcCode.PermissionDenied, "denied");
    };
    const { address, client } = await setup(async () => response(), { filters: [deny] });
    const err = await rejection(client.invoke(address, request({ body: upload.body }), context()), 5000);
    expect(err.code).toBe(GrpcCode.PermissionDenied);
    await within(
      (async () => {
        while (!upload.state.closed) await sleep(10);
      })(),
      3000,
      "request body released",
    );
    expect(upload.state.produced).toBeLessThan(32 * MiB);
  });

  it("a request body that fails mid-upload fails the call with that error and cancels the callee", async () => {
    const boom = new Error("caller's connection reset");
    const entered = deferred();
    const { channel, address, client } = await setup(async (req) => {
      entered.resolve();
      await readBody(req.body);
      return response();
    });
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield text("start");
        await entered.promise;
        await sleep(20);
        throw boom;
      },
    };
    const err = await within(
      client.invoke(address, request({ body }), context()).then(
        () => undefined,
        (e: unknown) => e,
      ),
      5000,
      "call",
    );
    expect(err).toBe(boom);
    await within(aborted(channel.calls[0]!.ctx.signal), 2000, "callee signal");
  });

  it("a caller abort mid-upload fails the app's body read: a cut request never looks complete", async () => {
    const upload = generatedBody(64 * MiB);
    const outcome = deferred<{ ok: boolean; size: number; error?: unknown }>();
    const { address, client } = await setup(async (req) => {
      let size = 0;
      try {
        for await (const c of req.body) size += c.byteLength;
        outcome.resolve({ ok: true, size });
      } catch (error) {
        outcome.resolve({ ok: false, size, error });
      }
      return response();
    });
    const controller = new AbortController();
    const call = client.invoke(address, request({ body: upload.body, contentLength: 64 * MiB }), context({ signal: controller.signal }));
    while (upload.state.produced < 2 * MiB) await sleep(5);
    controller.abort();
    expect((await rejection(call, 3000)).code).toBe(GrpcCode.Canceled);
    const seen = await within(outcome.promise, 3000, "app body outcome");
    expect(seen.ok, `the app read ${seen.size} bytes and saw a clean end`).toBe(false);
    expect(seen.size).toBeLessThan(64 * MiB);
  });
});

describe("keepalive", () => {
  it("client: a server that stops answering (no FIN, no RST) is detected by keepalive → Unavailable; the next call redials", async () => {
    const entered = deferred();
    const { port, channel } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const proxy = await TcpProxy.start(port);
    const client = new InternalGrpcClient({ maxMessageSize: MAX, keepaliveMs: 100, keepaliveTimeoutMs: 300 });
    cleanups.push(() => client.close());
    const failed = rejection(client.invoke(proxy.address, request(), context()), 5000);
    await within(entered.promise, 5000, "app entered");
    proxy.freeze();
    const started = Date.now();
    expect((await failed).code).toBe(GrpcCode.Unavailable);
    expect(Date.now() - started).toBeLessThan(2000);
    channel.handler = async () => response({ body: bodyFromBytes("fresh") });
    expect(await bodyText((await client.invoke(proxy.address, request(), context())).body)).toBe("fresh");
    expect(proxy.connections).toBe(2);
  });

  it("server: a caller that vanished is detected by keepalive and its call is cancelled", async () => {
    const entered = deferred();
    const channel = new FakeChannel(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      return response();
    });
    const dispatcher = new CalleeDispatcher({ appId: "callee", namespace: "default", channel });
    const server = new InternalGrpcServer({ dispatcher, maxMessageSize: MAX, keepaliveMs: 100, keepaliveTimeoutMs: 300 });
    const port = await server.listen(0);
    cleanups.push(() => server.close(0));
    const proxy = await TcpProxy.start(port);
    // The client itself must not notice first.
    const client = new InternalGrpcClient({ maxMessageSize: MAX, keepaliveMs: 60_000 });
    cleanups.push(() => client.close());
    const call = client.invoke(proxy.address, request(), context());
    call.catch(() => {});
    await within(entered.promise, 5000, "app entered");
    proxy.freeze();
    const reason = await within(aborted(channel.calls[0]!.ctx.signal), 3000, "app signal after keepalive timeout");
    expect((reason as InvocationError).code).toBe(GrpcCode.Canceled);
    client.reset(proxy.address);
  });

  it("pings in flight on a session that is reset do not take down its replacement", async () => {
    const { address } = await startServer({ channel: new FakeChannel(async () => response({ body: bodyFromBytes("ok") })) });
    // Pings every few ms, so one is nearly always outstanding when reset() drops the session.
    const client = new InternalGrpcClient({ maxMessageSize: MAX, keepaliveMs: 2, keepaliveTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    for (let i = 0; i < 60; i++) {
      await client.invoke(address, request(), context()).then((r) => readBody(r.body));
      await sleep(3);
      client.reset(address);
      const res = await client.invoke(address, request(), context());
      expect(await bodyText(res.body), `iteration ${i}`).toBe("ok");
    }
  });
});

describe("one shared session", () => {
  it("200 concurrent calls share one session, are all in flight at once, and never mix answers", async () => {
    const N = 200;
    let arrived = 0;
    const allIn = deferred();
    const { port } = await setup(async (req) => {
      const id = req.metadata.get("x-call-id")!;
      const body = await bodyText(req.body);
      if (++arrived === N) allIn.resolve();
      // Every call waits until all of them reached the app: proves real concurrency.
      await within(allIn.promise, 10_000, `call ${id} waiting for the others`);
      await sleep(Math.floor(Math.random() * 20));
      return response({ headers: new Metadata([["x-call-id", id]]), body: bodyFromBytes(`${id}|${body}`) });
    });
    const proxy = await TcpProxy.start(port);
    const client = newClient();
    const results = await within(
      Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const payload = `payload-${i}-${"x".repeat(i * 37)}`;
          const res = await client.invoke(
            proxy.address,
            request({ metadata: new Metadata([["dapr-caller-app-id", "caller"], ["x-call-id", String(i)]]), body: bodyFromBytes(payload), contentLength: payload.length }),
            context(),
          );
          return { i, payload, header: res.headers.get("x-call-id"), body: await bodyText(res.body) };
        }),
      ),
      20_000,
      "200 calls",
    );
    for (const r of results) {
      expect(r.header).toBe(String(r.i));
      expect(r.body).toBe(`${r.i}|${r.payload}`);
    }
    expect(proxy.connections).toBe(1);
  });
});

describe("server close()", () => {
  it("lets an in-flight call finish (graceful), refuses new ones, then resolves", async () => {
    const entered = deferred();
    const gate = deferred();
    const { server, address, client } = await setup(async () => {
      entered.resolve();
      await gate.promise;
      return response({ body: bodyFromBytes("finished") });
    });
    const call = client.invoke(address, request(), context());
    await within(entered.promise, 5000, "app entered");
    const closing = server.close(10_000);
    let closed = false;
    void closing.then(() => (closed = true));
    await sleep(100);
    expect(closed).toBe(false);
    // A new call after close() began cannot reach the server.
    const late = await rejection(newClient().invoke(address, request(), context()), 5000, "call after close");
    expect(late.code).toBe(GrpcCode.Unavailable);
    gate.resolve();
    const res = await within(call, 5000, "in-flight call");
    expect(await bodyText(res.body)).toBe("finished");
    await within(closing, 5000, "server close");
  });

  it("cuts a call still running after the grace period, and the caller gets an error, not a hang", async () => {
    const entered = deferred();
    const { server, address, client } = await setup(async (_req, ctx) => {
      entered.resolve();
      await aborted(ctx.signal);
      await sleep(60_000); // an app that never answers
      return response();
    });
    const failed = rejection(client.invoke(address, request(), context()), 5000);
    await within(entered.promise, 5000, "app entered");
    const started = Date.now();
    await within(server.close(300), 5000, "server close with a stuck call");
    expect(Date.now() - started).toBeLessThan(2000);
    const err = await failed;
    expect([GrpcCode.Unavailable, GrpcCode.Internal, GrpcCode.Canceled]).toContain(err.code);
  });
});

describe("server robustness against raw HTTP/2 peers", () => {
  /** One valid CallLocalStream request message (header only, empty body), framed. */
  function requestFrame(): Uint8Array {
    const msg: InternalInvokeRequestStream = create(InternalInvokeRequestStreamSchema, { request: toInternalRequest(request()) });
    return encodeFrame(toBinary(InternalInvokeRequestStreamSchema, msg));
  }

  async function rawCall(port: number, headers: http2.OutgoingHttpHeaders, body?: Uint8Array) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    cleanups.push(() => session.destroy());
    const stream = session.request({ ":method": "POST", "content-type": "application/grpc", te: "trailers", ...headers });
    stream.on("error", () => {});
    stream.end(body);
    const [responseHeaders] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("trailers", (t) => (trailers = t));
    for await (const c of stream) chunks.push(c as Buffer);
    return { headers: responseHeaders, trailers, body: Buffer.concat(chunks) };
  }

  it("the server enforces grpc-timeout itself: DeadlineExceeded for a caller that does not, and the app's signal says why", async () => {
    const { port, channel } = await setup(async () => {
      await sleep(3000); // ignores its signal
      return response();
    });
    const started = Date.now();
    const r = await within(rawCall(port, { ":path": CALL_LOCAL_STREAM_PATH, "grpc-timeout": "300m" }, requestFrame()), 2500, "raw call");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(r.headers["grpc-status"]).toBe(String(GrpcCode.DeadlineExceeded));
    expect(r.headers["grpc-message"]).toBe("context deadline exceeded");
    const reason = channel.calls[0]!.ctx.signal.reason as InvocationError;
    expect(reason.code).toBe(GrpcCode.DeadlineExceeded);
    expect(Math.abs(channel.calls[0]!.ctx.deadline! - (started + 300))).toBeLessThan(100);
  });

  it("a deadline passing while the answer streams ends it with DeadlineExceeded in the trailers", async () => {
    const { port } = await setup(async () =>
      response({
        body: {
          async *[Symbol.asyncIterator]() {
            for (;;) {
              yield text("tick");
              await sleep(50);
            }
          },
        },
      }),
    );
    const r = await within(rawCall(port, { ":path": CALL_LOCAL_STREAM_PATH, "grpc-timeout": "300m" }, requestFrame()), 2500, "raw call");
    expect(r.headers[":status"]).toBe(200);
    expect(r.body.byteLength).toBeGreaterThan(0);
    expect(r.trailers["grpc-status"]).toBe(String(GrpcCode.DeadlineExceeded));
  });

  it("unknown method → trailers-only Unimplemented", async () => {
    const { port } = await setup(async () => response());
    const r = await rawCall(port, { ":path": "/dapr.proto.internals.v1.ServiceInvocation/CallActor" });
    expect(r.headers[":status"]).toBe(200);
    expect(r.headers["grpc-status"]).toBe(String(GrpcCode.Unimplemented));
  });

  it("non-gRPC content type → HTTP 415", async () => {
    const { port } = await setup(async () => response());
    const r = await rawCall(port, { ":path": CALL_LOCAL_STREAM_PATH, "content-type": "application/json" });
    expect(r.headers[":status"]).toBe(415);
  });

  it("garbage protobuf → Internal, and the server keeps serving", async () => {
    const { port, address, client } = await setup(async () => response({ body: bodyFromBytes("alive") }));
    const garbage = Buffer.from([0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    const r = await rawCall(port, { ":path": CALL_LOCAL_STREAM_PATH }, garbage);
    expect(r.headers["grpc-status"] ?? r.trailers["grpc-status"]).toBe(String(GrpcCode.Internal));
    expect(await bodyText((await client.invoke(address, request(), context())).body)).toBe("alive");
  });

  it("a stream that ends before any message → InvalidArgument", async () => {
    const { port } = await setup(async () => response());
    const r = await rawCall(port, { ":path": CALL_LOCAL_STREAM_PATH }, new Uint8Array(0));
    expect(r.headers["grpc-status"] ?? r.trailers["grpc-status"]).toBe(String(GrpcCode.InvalidArgument));
  });

  it("HTTP/1.1 bytes on the port close the socket; the server keeps serving", async () => {
    const { port, address, client } = await setup(async () => response({ body: bodyFromBytes("alive") }));
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.resume();
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await within(once(socket, "close"), 5000, "socket closed");
    expect(await bodyText((await client.invoke(address, request(), context())).body)).toBe("alive");
  });
});
