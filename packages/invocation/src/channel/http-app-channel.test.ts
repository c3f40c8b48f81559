import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { silentLogger } from "../logger.js";
import { BodyTooLargeError, bodyFromBytes, emptyBody, readBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import { Metadata } from "../model/metadata.js";
import { HttpAppChannel, type HttpAppChannelOptions } from "./http-app-channel.js";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen[]) => void | Promise<void>;

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/**
 * A real app on 127.0.0.1. The default handler records the request (body included) and answers
 * 200 "ok"; a custom handler gets the raw request and the same record list.
 */
async function app(handler?: Handler): Promise<{ port: number; seen: Seen[]; server: http.Server }> {
  const seen: Seen[] = [];
  const server = http.createServer(async (req, res) => {
    if (handler) return void (await handler(req, res, seen));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen, server };
}

function channel(opts: HttpAppChannelOptions): HttpAppChannel {
  const ch = new HttpAppChannel(opts);
  cleanup.push(() => ch.close().catch(() => {}));
  return ch;
}

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return { method: "m", verb: "GET", query: "", contentType: "", dataTypeUrl: "", metadata: new Metadata(), body: emptyBody(), contentLength: 0, ...overrides };
}

function context(signal: AbortSignal = new AbortController().signal): InvokeContext {
  return { signal, side: "callee", target: { appId: "b", namespace: "default" }, log: silentLogger, attributes: new Map() };
}

const text = async (body: BodyStream) => new TextDecoder().decode(await readBody(body));

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
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

describe("HttpAppChannel: request construction (spec §3.4)", () => {
  it("sends verb, path and raw query", async () => {
    const { port, seen } = await app();
    const ch = channel({ port });
    const res = await ch.invoke(request({ verb: "DELETE", method: "orders/42", query: "force=true&note=a%20b" }), context());
    expect(res.status).toBe(200);
    expect(await text(res.body)).toBe("ok");
    expect(seen[0]!.method).toBe("DELETE");
    expect(seen[0]!.url).toBe("/orders/42?force=true&note=a%20b");
  });

  it.each(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] as const)("sends verb %s", async (verb) => {
    const { port, seen } = await app();
    const res = await channel({ port }).invoke(request({ verb }), context());
    await readBody(res.body);
    expect(seen[0]!.method).toBe(verb);
  });

  it("re-encodes the method path for the app", async () => {
    const { port, seen } = await app();
    await readBody((await channel({ port }).invoke(request({ method: 'a b/100%/"q"/é' }), context())).body);
    expect(seen[0]!.url).toBe("/a%20b/100%25/%22q%22/%C3%A9");
  });

  it("sends metadata as headers, dropping hop-by-hop, Connection-nominated and internal ones", async () => {
    const { port, seen } = await app();
    const metadata = new Metadata({
      "X-Custom": "v",
      "X-Multi": ["a", "b"],
      "dapr-caller-app-id": "a",
      Connection: "X-Hop",
      "X-Hop": "dropped",
      "Keep-Alive": "timeout=5",
      "Proxy-Authorization": "Basic xyz",
      Upgrade: "websocket",
      TE: "trailers",
      "destination-app-id": "b",
      "dapr-api-token": "caller-secret",
    });
    await readBody((await channel({ port }).invoke(request({ metadata }), context())).body);
    const h = seen[0]!.headers;
    expect(h["x-custom"]).toBe("v");
    expect(h["x-multi"]).toBe("a, b");
    expect(h["dapr-caller-app-id"]).toBe("a");
    for (const dropped of ["x-hop", "proxy-authorization", "upgrade", "te", "destination-app-id", "dapr-api-token"]) {
      expect(h, dropped).not.toHaveProperty(dropped);
    }
    expect(h["keep-alive"]).toBeUndefined();
    // Go-canonical spelling on the wire.
    expect(seen[0]!.rawHeaders).toContain("Dapr-Caller-App-Id");
  });

  it("never lets a `host` metadata key override the app's Host header", async () => {
    const { port, seen } = await app();
    await readBody((await channel({ port }).invoke(request({ metadata: new Metadata({ host: "evil.example", HOST: "evil2" }) }), context())).body);
    expect(seen[0]!.headers.host).toBe(`127.0.0.1:${port}`);
    expect(seen[0]!.rawHeaders.filter((h) => h.toLowerCase() === "host")).toHaveLength(1);
  });

  it("takes Content-Type from the message, not from the metadata", async () => {
    const { port, seen } = await app();
    const ch = channel({ port });
    await readBody(
      (await ch.invoke(request({ verb: "POST", contentType: "text/plain", metadata: new Metadata({ "Content-Type": "application/json" }) }), context()))
        .body,
    );
    expect(seen[0]!.headers["content-type"]).toBe("text/plain");
  });

  it("labels a protobuf payload (data.type_url set) application/x-protobuf", async () => {
    const { port, seen } = await app();
    await readBody(
      (await channel({ port }).invoke(request({ verb: "POST", contentType: "application/json", dataTypeUrl: "type.googleapis.com/x.Y" }), context())).body,
    );
    expect(seen[0]!.headers["content-type"]).toBe("application/x-protobuf");
  });

  it("sends no Content-Type when the message has none", async () => {
    const { port, seen } = await app();
    await readBody(
      (await channel({ port }).invoke(request({ verb: "POST", metadata: new Metadata({ "Content-Type": "application/json" }) }), context())).body,
    );
    expect(seen[0]!.headers).not.toHaveProperty("content-type");
  });

  it("sets the app token header, replacing any forwarded value", async () => {
    const { port, seen } = await app();
    await readBody(
      (await channel({ port, appApiToken: "app-secret" }).invoke(request({ metadata: new Metadata({ "Dapr-Api-Token": "spoof" }) }), context())).body,
    );
    expect(seen[0]!.headers["dapr-api-token"]).toBe("app-secret");
    expect(seen[0]!.rawHeaders.filter((h) => h.toLowerCase() === "dapr-api-token")).toHaveLength(1);
  });

  it("sends a known-length body with Content-Length", async () => {
    const { port, seen } = await app();
    const res = await channel({ port }).invoke(request({ verb: "PUT", body: bodyFromBytes("hello"), contentLength: 5 }), context());
    await readBody(res.body);
    expect(seen[0]!.body).toBe("hello");
    expect(seen[0]!.headers["content-length"]).toBe("5");
    expect(seen[0]!.headers).not.toHaveProperty("transfer-encoding");
  });

  it("sends an unknown-length body chunked", async () => {
    const { port, seen } = await app();
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield new TextEncoder().encode("a");
        yield new TextEncoder().encode("b");
      },
    };
    await readBody((await channel({ port }).invoke(request({ verb: "POST", body, contentLength: undefined }), context())).body);
    expect(seen[0]!.body).toBe("ab");
    expect(seen[0]!.headers["transfer-encoding"]).toBe("chunked");
  });

  it("streams the request body: the app sees the first chunk before the last is produced", async () => {
    const firstArrived = deferred();
    const { port } = await app(async (req, res) => {
      let got = "";
      for await (const c of req) {
        got += (c as Buffer).toString();
        if (got.startsWith("first")) firstArrived.resolve();
      }
      res.end(got);
    });
    const body: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield new TextEncoder().encode("first-");
        // Only produce the last chunk once the app has the first one.
        await firstArrived.promise;
        yield new TextEncoder().encode("last");
      },
    };
    const res = await channel({ port }).invoke(request({ verb: "POST", body, contentLength: undefined }), context());
    expect(await text(res.body)).toBe("first-last");
  });
});

describe("HttpAppChannel: response (spec §3.4)", () => {
  it("streams the response: the first chunk arrives before the app writes the last", async () => {
    const clientGotFirst = deferred();
    const { port } = await app(async (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write("one;");
      await clientGotFirst.promise;
      res.end("two");
    });
    const res = await channel({ port }).invoke(request(), context());
    expect(res.contentType).toBe("text/event-stream");
    const it = res.body[Symbol.asyncIterator]();
    const first = await it.next();
    expect(new TextDecoder().decode(first.value)).toBe("one;");
    clientGotFirst.resolve();
    let rest = "";
    for (let r = await it.next(); !r.done; r = await it.next()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("two");
  });

  it.each([200, 201, 204, 400, 404, 418, 500, 503])("passes status %d through untouched", async (status) => {
    const { port } = await app((_req, res) => {
      res.writeHead(status);
      res.end(status === 204 ? undefined : `status ${status}`);
    });
    const res = await channel({ port }).invoke(request(), context());
    expect(res.status).toBe(status);
    expect(res.statusMessage).toBe("");
    expect(res.statusDetails).toEqual([]);
    expect(await text(res.body)).toBe(status === 204 ? "" : `status ${status}`);
  });

  it("returns a redirect as it is, without following it", async () => {
    let followed = 0;
    const { port } = await app((req, res) => {
      if (req.url === "/target") {
        followed++;
        res.end("target");
        return;
      }
      res.writeHead(302, { Location: "/target" });
      res.end("moved");
    });
    const res = await channel({ port }).invoke(request({ method: "start" }), context());
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/target");
    expect(await text(res.body)).toBe("moved");
    expect(followed).toBe(0);
  });

  it("canonicalizes response header names and drops Content-Length, hop-by-hop and Connection-nominated headers", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200, [
        ["x-custom-header", "v"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["content-type", "application/json"],
        ["content-length", "2"],
        ["keep-alive", "timeout=5"],
        ["connection", "keep-alive, X-Nominated"],
        ["x-nominated", "secret"],
      ].flat());
      res.end("{}");
    });
    const res = await channel({ port }).invoke(request(), context());
    expect(await text(res.body)).toBe("{}");
    expect(res.contentType).toBe("application/json");
    expect(res.headers.toRecord()).toEqual({
      "X-Custom-Header": ["v"],
      "Set-Cookie": ["a=1", "b=2"],
      "Content-Type": ["application/json"],
      Date: [expect.any(String)],
    });
  });

  it("has an empty content type when the app sends none", async () => {
    const { port } = await app((_req, res) => void res.end("x"));
    const res = await channel({ port }).invoke(request(), context());
    expect(res.contentType).toBe("");
    expect(res.dataTypeUrl).toBe("");
    await readBody(res.body);
  });

  it("answers HEAD with no body", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "10" });
      res.end();
    });
    const res = await channel({ port }).invoke(request({ verb: "HEAD" }), context());
    expect(res.status).toBe(200);
    expect(await text(res.body)).toBe("");
  });

  it("reports response trailers", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200, { Trailer: "x-checksum" });
      res.write("data");
      res.addTrailers({ "x-checksum": "abc" });
      res.end();
    });
    const res = await channel({ port }).invoke(request(), context());
    expect(await text(res.body)).toBe("data");
    // undici fills trailers once the body has ended.
    expect(res.trailers.get("X-Checksum")).toBe("abc");
  });
});

describe("HttpAppChannel: failures", () => {
  it("fails with Internal `error invoking app channel` when the app is down", async () => {
    const { port, server } = await app();
    await new Promise<void>((r) => server.close(() => r()));
    const err = await failure(channel({ port }).invoke(request({ verb: "POST" }), context()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toMatch(new RegExp(`^error invoking app channel: POST http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });

  it("rejects verb NONE as a missing HTTP extension and CONNECT as invalid, without calling the app", async () => {
    const { port, seen } = await app();
    const ch = channel({ port });
    const none = await failure(ch.invoke(request({ verb: "NONE" }), context()));
    expect(none.code).toBe(GrpcCode.InvalidArgument);
    expect(none.message).toBe("missing HTTP extension field");
    const connect = await failure(ch.invoke(request({ verb: "CONNECT" }), context()));
    expect(connect.code).toBe(GrpcCode.InvalidArgument);
    expect(connect.message).toBe("invalid HTTP verb");
    expect(seen).toHaveLength(0);
  });

  it("fails before reading when the declared response length is over the limit", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.end("x".repeat(100));
    });
    const err = await failure(channel({ port, maxResponseBodySize: 10 }).invoke(request(), context()));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toMatch(/^error invoking app channel: stream too large/);
  });

  it("accepts a declared response of exactly the limit", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200, { "Content-Length": "10" });
      res.end("x".repeat(10));
    });
    const res = await channel({ port, maxResponseBodySize: 10 }).invoke(request(), context());
    expect(await text(res.body)).toBe("x".repeat(10));
  });

  it("fails the body with `stream too large` when an undeclared stream passes the limit", async () => {
    const { port } = await app(async (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 5; i++) {
        res.write("x".repeat(8));
        await new Promise((r) => setTimeout(r, 2));
      }
      res.end();
    });
    const res = await channel({ port, maxResponseBodySize: 20 }).invoke(request(), context());
    expect(res.status).toBe(200);
    const err = await readBody(res.body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as Error).message).toMatch(/^stream too large/);
  });

  it("aborts a pending call when ctx.signal aborts", async () => {
    const arrived = deferred();
    const { port } = await app(() => arrived.resolve() /* never answers */);
    const ac = new AbortController();
    const pending = channel({ port }).invoke(request(), context(ac.signal));
    await arrived.promise;
    ac.abort();
    const err = await failure(pending);
    // An abort is reported as what it is, not as a channel failure.
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(err.message).toBe("context canceled");
  });

  it("reports an abort whose reason is an InvocationError as context canceled", async () => {
    const arrived = deferred();
    const { port } = await app(() => arrived.resolve());
    const ac = new AbortController();
    const pending = channel({ port }).invoke(request(), context(ac.signal));
    await arrived.promise;
    const reason = new InvocationError(GrpcCode.Canceled, "context canceled");
    ac.abort(reason);
    const err = await failure(pending);
    expect(err).toBe(reason);
  });

  it("reports a deadline (TimeoutError abort) as context deadline exceeded", async () => {
    const { port } = await app(() => {});
    const err = await failure(channel({ port }).invoke(request(), context(AbortSignal.timeout(30))));
    expect(err.code).toBe(GrpcCode.DeadlineExceeded);
    expect(err.message).toBe("context deadline exceeded");
  });

  it("fails the response body when ctx.signal aborts mid-stream", async () => {
    const { port } = await app((_req, res) => {
      res.writeHead(200);
      res.write("partial");
    });
    const ac = new AbortController();
    const res = await channel({ port }).invoke(request(), context(ac.signal));
    const it = res.body[Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await it.next()).value)).toBe("partial");
    ac.abort();
    await expect(it.next()).rejects.toBeDefined();
  });

  it("does not call the app for an already aborted call", async () => {
    const { port, seen } = await app();
    const err = await failure(channel({ port }).invoke(request(), context(AbortSignal.abort())));
    expect(err.code).toBe(GrpcCode.Canceled);
    expect(err.message).toBe("context canceled");
    expect(seen).toHaveLength(0);
  });
});

describe("HttpAppChannel: origin and probe", () => {
  it("builds the origin from host, port and protocol", () => {
    expect(channel({ port: 3000 }).origin).toBe("http://127.0.0.1:3000");
    expect(channel({ port: 3000, host: "::1" }).origin).toBe("http://[::1]:3000");
    expect(channel({ port: 3000, host: "[::1]" }).origin).toBe("http://[::1]:3000");
    expect(channel({ port: 443, host: "localhost", protocol: "https" }).origin).toBe("https://localhost:443");
    expect(channel({ port: 3000, protocol: "h2c" }).origin).toBe("http://127.0.0.1:3000");
    expect(channel({ port: 3000, protocol: "h2c" }).protocol).toBe("h2c");
    expect(channel({ port: 3000 }).protocol).toBe("http");
  });

  it("probe is true when the app answers (any status) and false when it is down", async () => {
    const { port, seen } = await app((req, res, s) => {
      s.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: "" });
      res.writeHead(500);
      res.end();
    });
    expect(await channel({ port, healthPath: "/healthz" }).probe()).toBe(true);
    expect(seen[0]!.url).toBe("/healthz");

    const down = await app();
    await new Promise<void>((r) => down.server.close(() => r()));
    expect(await channel({ port: down.port }).probe()).toBe(false);
  });
});
