/**
 * grpc-js vs connect-node vs courier-h2 for Courier's internal sidecar RPC
 * `dapr.proto.internals.v1.ServiceInvocation/CallLocalStream` (bidi stream), every client against
 * every server. courier-h2 is Courier's own transport: gRPC over `node:http2` built from the
 * `@courier/invocation` building blocks (encodeFrame/decodeFrames, Http2SessionPool) exactly the
 * way packages/invocation/src/internal/internal-{client,server}.ts use them, at the raw message level.
 *
 *   npx tsc -b tools/bench && node tools/bench/dist/transport-compare.js [--quick] [--only=<client>:<server>]
 *   (kinds: grpc-js, connect, courier-h2; @courier/invocation's dist must be built: `npx tsc -b packages/invocation`)
 *
 * Each client/server combination runs in a fresh forked client process (`combo <client> <server>`),
 * which forks a fresh server process (`server <kind>`): client and server never share an event loop,
 * and no combination inherits another's heap growth (client ΔRSS) or JIT warm-up. One client (= one
 * HTTP/2 connection) per combination; the parent only collects the rows. Loopback only; every phase is time-bounded and a global
 * watchdog kills everything after WATCHDOG_MS.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { execSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import {
  HTTPExtension_Verb,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseStreamSchema,
  ServiceInvocation,
  type InternalInvokeRequestStream,
  type InternalInvokeResponseStream,
} from "@courier/protos";
import {
  CALL_LOCAL_STREAM_PATH,
  decodeFrames,
  decodeGrpcMessage,
  encodeFrame,
  encodeGrpcMessage,
  GrpcCode,
  grpcCodeFromTransportStatus,
  Http2SessionPool,
  InvocationError,
  parseGrpcTimeout,
} from "@courier/invocation";

type Kind = "grpc-js" | "connect" | "courier-h2";
const KINDS: Kind[] = ["grpc-js", "connect", "courier-h2"];

const QUICK = process.argv.includes("--quick");
/** `--only=<client>:<server>` runs one combination (for profiling); results are then not written. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const CONCURRENCY = 64;
const WARMUP_MS = QUICK ? 500 : 2_000;
const THROUGHPUT_MS = QUICK ? 2_000 : 10_000;
const RATE = 1_000; // calls/s, open loop
const LATENCY_WARMUP_MS = QUICK ? 300 : 1_000;
const LATENCY_MS = QUICK ? 2_000 : 10_000;
/** Secondary open-loop rate every combination can sustain, to compare the unloaded latency floor. */
const LOW_RATE = 200;
const DRAIN_CAP_MS = 60_000;
const LOW_MS = QUICK ? 1_000 : 5_000;
const STREAM_BYTES = (QUICK ? 8 : 64) * 1024 * 1024;
const CHUNK = 2 * 1024;
const STREAM_TIMEOUT_MS = 180_000;
/** 9 combinations, each bounded (stream ≤ 3 min, backlog drain ≤ 1 min per open-loop phase). */
const WATCHDOG_MS = 40 * 60_000;

const method = ServiceInvocation.method.callLocalStream;
const PATH = `/${ServiceInvocation.typeName}/${method.name}`;
const ECHO_METHOD = "bench/echo";
if (PATH !== CALL_LOCAL_STREAM_PATH) throw new Error(`path mismatch: ${PATH} vs ${CALL_LOCAL_STREAM_PATH}`);
/** Not a real method: every server must answer it with UNIMPLEMENTED (interop check). */
const UNKNOWN_PATH = `/${ServiceInvocation.typeName}/NoSuchMethod`;

// courier-h2: the settings of packages/invocation/src/internal/{http2-session-pool,internal-server}.ts
/** Per-stream window (SETTINGS_INITIAL_WINDOW_SIZE); the pool's STREAM_WINDOW (not exported). */
const COURIER_STREAM_WINDOW = 1024 * 1024;
const COURIER_CONNECTION_WINDOW = 16 * 1024 * 1024;
/** daprd's default `--max-body-size` (4 MiB) plus the transport's envelope slack. */
const COURIER_MAX_MESSAGE = 4 * 1024 * 1024 + 64 * 1024;
const COURIER_USER_AGENT = "courier/0.1 (grpc over node:http2)";

// ---------------------------------------------------------------- messages

function requestHeader(methodName: string) {
  const metadata: Record<string, { values: string[] }> = {
    "dapr-caller-app-id": { values: ["caller"] },
    "dapr-callee-app-id": { values: ["callee"] },
    "content-type": { values: ["application/json"] },
    "user-agent": { values: ["bench/1.0"] },
    traceparent: { values: ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"] },
    "x-request-id": { values: ["5f1c3c1e-7d0b-4f0e-9a36-0b5f0b6e7a11"] },
    "x-forwarded-for": { values: ["127.0.0.1"] },
    "accept-encoding": { values: ["gzip, deflate"] },
  };
  return {
    metadata,
    message: {
      method: methodName,
      contentType: "application/json",
      httpExtension: { verb: HTTPExtension_Verb.POST, querystring: "a=1&b=2" },
    },
  };
}

const SMALL_BODY = randomBytes(1024);
const SMALL_REQ: InternalInvokeRequestStream = create(InternalInvokeRequestStreamSchema, {
  request: requestHeader("api/v1/invoke"),
  payload: { data: SMALL_BODY, seq: 0n },
});
const SMALL_RES: InternalInvokeResponseStream = create(InternalInvokeResponseStreamSchema, {
  response: {
    status: { code: 200, message: "OK" },
    headers: {
      "content-type": { values: ["application/json"] },
      "content-length": { values: ["1024"] },
      date: { values: ["Mon, 01 Jan 2024 00:00:00 GMT"] },
      "x-app": { values: ["callee"] },
    },
  },
  payload: { data: randomBytes(1024), seq: 0n },
});
const RESPONSE_HEADER = create(InternalInvokeResponseStreamSchema, {
  response: { status: { code: 200, message: "OK" }, headers: { "content-type": { values: ["application/octet-stream"] } } },
}).response;

// ---------------------------------------------------------------- grpc-js glue

function u8ToBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); // view, no copy
}
const serReq = (m: InternalInvokeRequestStream) => u8ToBuffer(toBinary(InternalInvokeRequestStreamSchema, m));
const desReq = (b: Buffer) => fromBinary(InternalInvokeRequestStreamSchema, b);
const serRes = (m: InternalInvokeResponseStream) => u8ToBuffer(toBinary(InternalInvokeResponseStreamSchema, m));
const desRes = (b: Buffer) => fromBinary(InternalInvokeResponseStreamSchema, b);

const grpcDefinition: grpc.ServiceDefinition = {
  CallLocalStream: {
    path: PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serReq,
    requestDeserialize: desReq,
    responseSerialize: serRes,
    responseDeserialize: desRes,
  },
};

// ---------------------------------------------------------------- server (child process)

async function runServer(kind: Kind): Promise<void> {
  let port: number;
  let close: () => Promise<void>;
  if (kind === "grpc-js") {
    const server = new grpc.Server();
    server.addService(grpcDefinition, {
      CallLocalStream: (call: grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>) => {
        let echo = false;
        let first = true;
        let expect = 0n;
        let outSeq = 0n;
        let failed = false;
        call.on("data", (m: InternalInvokeRequestStream) => {
          if (failed) return;
          if (m.request) echo = m.request.message?.method === ECHO_METHOD;
          if (!m.payload || m.payload.seq !== expect) {
            // grpc-js turns an 'error' event into the call's status (sent in the trailers).
            failed = true;
            const details = `bad seq ${m.payload?.seq} != ${expect}`;
            call.emit("error", Object.assign(new Error(details), { code: grpc.status.INTERNAL, details }));
            return;
          }
          expect++;
          if (!echo) return;
          const out = create(InternalInvokeResponseStreamSchema, {
            response: first ? RESPONSE_HEADER : undefined,
            payload: { data: m.payload.data, seq: outSeq++ },
          });
          first = false;
          if (!call.write(out)) {
            call.pause();
            call.once("drain", () => call.resume());
          }
        });
        call.on("end", () => {
          if (failed) return;
          if (!echo) call.write(SMALL_RES);
          call.end();
        });
        call.on("error", () => {});
      },
    });
    port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    close = () => new Promise((res) => server.tryShutdown(() => res()));
  } else if (kind === "courier-h2") {
    ({ port, close } = await startCourierServer());
  } else {
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.rpc(method, async function* (reqs) {
          let echo = false;
          let expect = 0n;
          let outSeq = 0n;
          for await (const m of reqs) {
            if (m.request) echo = m.request.message?.method === ECHO_METHOD;
            if (!m.payload || m.payload.seq !== expect) {
              throw new ConnectError(`bad seq ${m.payload?.seq} != ${expect}`, Code.Internal);
            }
            expect++;
            if (echo) {
              yield create(InternalInvokeResponseStreamSchema, {
                response: outSeq === 0n ? RESPONSE_HEADER : undefined,
                payload: { data: m.payload.data, seq: outSeq++ },
              });
            }
          }
          if (!echo) yield SMALL_RES;
        }),
    });
    const server = http2.createServer(handler);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as { port: number }).port;
    close = () => new Promise((res) => server.close(() => res()));
  }
  statsResponder();
  process.on("message", (msg: { cmd?: string }) => {
    if (msg.cmd === "exit") void close().finally(() => process.exit(0));
  });
  process.send!({ ready: port });
  process.on("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------- courier-h2 server
// A copy of InternalGrpcServer's code path (packages/invocation/src/internal/internal-server.ts) with
// the CalleeDispatcher replaced by the bench's echo/small-response logic: same http2 server settings,
// routing, per-call context, decodeFrames + fromBinary, respond(waitForTrailers) → writes →
// 'wantTrailers' → sendTrailers({"grpc-status"}), trailers-only answers for early failures.

async function startCourierServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http2.createServer({
    settings: { initialWindowSize: COURIER_STREAM_WINDOW, enablePush: false },
    maxSessionMemory: 64,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
    session.on("connect", () => {
      try {
        session.setLocalWindowSize(COURIER_CONNECTION_WINDOW);
      } catch {
        /* gone already */
      }
    });
  });
  // Small gRPC frames go out at once; Nagle would hold them for the peer's delayed ACK.
  server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  server.on("sessionError", () => {});
  server.on("unknownProtocol", (socket) => socket.destroy());
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    void courierRoute(stream, headers).catch((err) => {
      console.error("courier-h2 handler failed", err);
      courierFail(stream, err);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    const closed = new Promise<void>((res) => server.close(() => res()));
    for (const session of sessions) session.close();
    const timer = setTimeout(() => {
      for (const session of sessions) session.destroy();
    }, 2_000);
    timer.unref();
    await closed;
    clearTimeout(timer);
  };
  return { port, close };
}

async function courierRoute(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
  const path = headers[":path"];
  const contentType = String(headers["content-type"] ?? "");
  if (headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
    if (!stream.headersSent && !stream.closed) stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  if (path === CALL_LOCAL_STREAM_PATH) return courierCallLocalStream(stream, headers);
  stream.resume();
  courierFail(stream, new InvocationError(GrpcCode.Unimplemented, `unknown method ${String(path)}`));
}

/** InternalGrpcServer#callContext: an AbortSignal per call, fired by the deadline or the peer going away. */
function courierCallContext(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
  const controller = new AbortController();
  const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"]);
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => controller.abort(new InvocationError(GrpcCode.DeadlineExceeded, "context deadline exceeded")), timeoutMs);
  }
  let answered = false;
  stream.once("close", () => {
    if (timer) clearTimeout(timer);
    if (!answered) controller.abort(new InvocationError(GrpcCode.Canceled, "context canceled"));
  });
  return {
    signal: controller.signal,
    answered: () => {
      answered = true;
    },
  };
}

async function courierCallLocalStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
  const call = courierCallContext(stream, headers);
  try {
    // The stream must survive reading its request to the end: the answer goes out on it.
    const frames = decodeFrames(stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>, COURIER_MAX_MESSAGE);
    let expect = 0n;
    const next = async (): Promise<InternalInvokeRequestStream | undefined> => {
      const r = await frames.next();
      if (r.done) return undefined;
      let m: InternalInvokeRequestStream;
      try {
        m = fromBinary(InternalInvokeRequestStreamSchema, r.value);
      } catch (err) {
        throw new InvocationError(GrpcCode.Internal, `grpc: error unmarshalling request: ${(err as Error).message}`);
      }
      if (!m.payload || m.payload.seq !== expect) throw new InvocationError(GrpcCode.Internal, `bad seq ${m.payload?.seq} != ${expect}`);
      expect++;
      return m;
    };
    const first = await next();
    if (first?.request?.message?.method === ECHO_METHOD) {
      // Streamed answer while the request is still arriving (as Courier streams an app's response body).
      let outSeq = 0n;
      courierRespond(
        stream,
        async () => {
          for (let m: InternalInvokeRequestStream | undefined = first; m; m = await next()) {
            if (stream.closed || stream.destroyed) return;
            const out = create(InternalInvokeResponseStreamSchema, {
              response: outSeq === 0n ? RESPONSE_HEADER : undefined,
              payload: { data: m.payload!.data, seq: outSeq++ },
            });
            if (!stream.write(encodeFrame(toBinary(InternalInvokeResponseStreamSchema, out)))) {
              await once(stream, "drain", { signal: call.signal });
            }
          }
        },
        () => call.answered(),
      );
    } else {
      if (first) while (await next());
      const out = encodeFrame(toBinary(InternalInvokeResponseStreamSchema, SMALL_RES));
      courierRespond(
        stream,
        async () => {
          if (!stream.write(out)) await once(stream, "drain", { signal: call.signal });
        },
        () => call.answered(),
      );
    }
  } catch (err) {
    call.answered();
    courierFail(stream, err);
  }
}

/** InternalGrpcServer#respond: headers, `write`, then the status in trailers — OK, or the error `write` hit. */
function courierRespond(stream: http2.ServerHttp2Stream, write: () => Promise<void>, onDone?: () => void): void {
  if (stream.closed || stream.destroyed) return;
  let status: { code: number; message: string } = { code: GrpcCode.OK, message: "" };
  stream.once("wantTrailers", () => {
    const trailers: http2.OutgoingHttpHeaders = { "grpc-status": String(status.code) };
    if (status.message) trailers["grpc-message"] = encodeGrpcMessage(status.message);
    try {
      stream.sendTrailers(trailers);
    } catch {
      /* stream gone */
    }
  });
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  write().then(
    () => {
      onDone?.();
      if (!stream.closed && !stream.destroyed) stream.end();
    },
    (err) => {
      onDone?.();
      status = courierStatus(err);
      if (!stream.closed && !stream.destroyed) stream.end();
    },
  );
}

/** InternalGrpcServer#fail: a trailers-only answer, or RST_STREAM when the headers are already out. */
function courierFail(stream: http2.ServerHttp2Stream, err: unknown): void {
  if (stream.closed || stream.destroyed) return;
  const { code, message } = courierStatus(err);
  if (stream.headersSent) {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeGrpcMessage(message) },
    { endStream: true },
  );
}

function courierStatus(err: unknown): { code: number; message: string } {
  if (err instanceof InvocationError) return { code: err.code, message: err.message };
  return { code: GrpcCode.Internal, message: (err as Error)?.message ?? String(err) };
}

// Both processes answer the same stats protocol: cpuUsage + RSS, and peak-RSS sampling.
function statsResponder(): void {
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  process.on("message", (msg: { cmd?: string; id?: number }) => {
    if (msg.cmd === "stats") {
      process.send!({ id: msg.id, cpu: process.cpuUsage(), rss: process.memoryUsage.rss() });
    } else if (msg.cmd === "peakStart") {
      peak = process.memoryUsage.rss();
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
      process.send!({ id: msg.id, rss: peak });
    } else if (msg.cmd === "peakStop") {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      process.send!({ id: msg.id, rss: peak });
    }
  });
}

// ---------------------------------------------------------------- client side

interface BenchClient {
  call(): Promise<void>;
  stream(total: number): Promise<{ sentBytes: number; recvBytes: number; sentDigest: string; recvDigest: string }>;
  /** Interop checks only: sends `msgs`, half-closes, and reports the gRPC status and how many responses arrived. */
  exchange(msgs: InternalInvokeRequestStream[], path?: string): Promise<Outcome>;
  close(): void;
}

interface Outcome {
  code: number;
  message: string;
  responses: number;
}

function chunkAt(base: Buffer, seq: number): Buffer {
  const b = Buffer.allocUnsafe(CHUNK);
  base.copy(b);
  b.writeUInt32LE(seq, 0);
  return b;
}

function makeGrpcClient(port: number): BenchClient {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const open = () => client.makeBidiStreamRequest(PATH, serReq, desRes);
  return {
    call() {
      return new Promise<void>((resolve, reject) => {
        const call = open();
        let ok = false;
        call.on("data", (m: InternalInvokeResponseStream) => {
          ok = m.response?.status?.code === 200 && m.payload?.data.length === 1024;
        });
        call.on("error", reject);
        call.on("status", (s: grpc.StatusObject) => {
          if (s.code !== grpc.status.OK) return; // 'error' already fired
          if (ok) resolve();
          else reject(new Error("bad response"));
        });
        call.write(SMALL_REQ);
        call.end();
      });
    },
    async stream(total) {
      const call = open();
      const sentHash = createHash("sha256");
      const recvHash = createHash("sha256");
      let recvBytes = 0;
      let expect = 0n;
      const done = new Promise<void>((resolve, reject) => {
        call.on("data", (m: InternalInvokeResponseStream) => {
          if (!m.payload || m.payload.seq !== expect++) return reject(new Error("bad echo seq"));
          recvHash.update(m.payload.data);
          recvBytes += m.payload.data.length;
        });
        call.on("error", reject);
        call.on("status", (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : undefined));
      });
      done.catch(() => {});
      const base = randomBytes(CHUNK);
      const n = Math.ceil(total / CHUNK);
      let sentBytes = 0;
      for (let seq = 0; seq < n; seq++) {
        const data = chunkAt(base, seq);
        sentHash.update(data);
        sentBytes += data.length;
        const msg = create(InternalInvokeRequestStreamSchema, {
          request: seq === 0 ? requestHeader(ECHO_METHOD) : undefined,
          payload: { data, seq: BigInt(seq) },
        });
        if (!call.write(msg)) await Promise.race([once(call, "drain"), done]);
      }
      call.end();
      await done;
      return { sentBytes, recvBytes, sentDigest: sentHash.digest("hex"), recvDigest: recvHash.digest("hex") };
    },
    exchange(msgs, path = PATH) {
      return new Promise<Outcome>((resolve) => {
        const call = client.makeBidiStreamRequest(path, serReq, desRes);
        let responses = 0;
        call.on("data", () => responses++);
        call.on("error", () => {});
        call.on("status", (s: grpc.StatusObject) => resolve({ code: s.code, message: s.details, responses }));
        for (const m of msgs) call.write(m);
        call.end();
      });
    },
    close: () => client.close(),
  };
}

function makeConnectClient(port: number): BenchClient {
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  const client: Client<typeof ServiceInvocation> = createClient(ServiceInvocation, transport);
  return {
    async call() {
      async function* one() {
        yield SMALL_REQ;
      }
      let ok = false;
      for await (const m of client.callLocalStream(one())) {
        ok = m.response?.status?.code === 200 && m.payload?.data.length === 1024;
      }
      if (!ok) throw new Error("bad response");
    },
    async stream(total) {
      const sentHash = createHash("sha256");
      const recvHash = createHash("sha256");
      const base = randomBytes(CHUNK);
      const n = Math.ceil(total / CHUNK);
      let sentBytes = 0;
      async function* chunks() {
        for (let seq = 0; seq < n; seq++) {
          const data = chunkAt(base, seq);
          sentHash.update(data);
          sentBytes += data.length;
          yield create(InternalInvokeRequestStreamSchema, {
            request: seq === 0 ? requestHeader(ECHO_METHOD) : undefined,
            payload: { data, seq: BigInt(seq) },
          });
        }
      }
      let recvBytes = 0;
      let expect = 0n;
      for await (const m of client.callLocalStream(chunks())) {
        if (!m.payload || m.payload.seq !== expect++) throw new Error("bad echo seq");
        recvHash.update(m.payload.data);
        recvBytes += m.payload.data.length;
      }
      return { sentBytes, recvBytes, sentDigest: sentHash.digest("hex"), recvDigest: recvHash.digest("hex") };
    },
    async exchange(msgs, path = PATH) {
      const m = path === PATH ? method : { ...method, name: path.slice(path.lastIndexOf("/") + 1) };
      async function* input() {
        yield* msgs;
      }
      let responses = 0;
      try {
        const res = await transport.stream(m, undefined, undefined, undefined, input());
        for await (const _ of res.message) responses++;
        return { code: 0, message: "", responses };
      } catch (e) {
        const ce = ConnectError.from(e);
        return { code: ce.code, message: ce.rawMessage, responses };
      }
    },
    close: () => {},
  };
}

// ---------------------------------------------------------------- courier-h2 client
// InternalGrpcClient's code path (packages/invocation/src/internal/internal-client.ts) at the raw message
// level: a lease on the pooled session per call, the same request headers, writes of
// encodeFrame(toBinary(...)) with 'drain' back-pressure, and a ResponseReader (headers → decodeFrames →
// grpc-status from the trailers or a trailers-only answer). Not copied: the caller's AbortSignal/deadline
// plumbing (no client in this bench sets a deadline) and the CallLocal fallback.

function makeCourierClient(port: number): BenchClient {
  const pool = new Http2SessionPool();
  const address = `127.0.0.1:${port}`;

  const open = (path: string): http2.ClientHttp2Stream => {
    const lease = pool.acquire(address);
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": path,
      ":authority": address,
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": COURIER_USER_AGENT,
    };
    let stream: http2.ClientHttp2Stream;
    try {
      stream = lease.session.request(headers);
    } catch (err) {
      lease.release();
      pool.reset(address);
      throw new InvocationError(GrpcCode.Unavailable, `connection to ${address} failed: ${(err as Error).message}`, { cause: err });
    }
    // The session is held until the response body is drained.
    stream.once("close", () => lease.release());
    return stream;
  };

  /** Writes `msgs` with back-pressure, then half-closes; a failure cancels the stream (as the client's writer task). */
  const send = (stream: http2.ClientHttp2Stream, reader: CourierResponseReader, msgs: Iterable<InternalInvokeRequestStream>) => {
    void (async () => {
      try {
        for (const msg of msgs) {
          if (stream.destroyed || stream.closed) return;
          if (!stream.write(encodeFrame(toBinary(InternalInvokeRequestStreamSchema, msg)))) await drained(stream);
        }
        if (!stream.destroyed) stream.end();
      } catch (err) {
        reader.sendError = err;
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    })();
  };

  /** Reads every response message; cancels the stream on failure (as the client's message iterator). */
  async function* receive(stream: http2.ClientHttp2Stream, reader: CourierResponseReader): AsyncGenerator<InternalInvokeResponseStream> {
    try {
      for await (const frame of reader.messages()) yield fromBinary(InternalInvokeResponseStreamSchema, frame);
    } catch (err) {
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      throw err;
    }
  }

  return {
    async call() {
      const stream = open(PATH);
      const reader = new CourierResponseReader(stream, address);
      send(stream, reader, [SMALL_REQ]);
      let ok = false;
      for await (const m of receive(stream, reader)) {
        ok = m.response?.status?.code === 200 && m.payload?.data.length === 1024;
      }
      if (!ok) throw new Error("bad response");
    },
    async stream(total) {
      const stream = open(PATH);
      const reader = new CourierResponseReader(stream, address);
      const sentHash = createHash("sha256");
      const recvHash = createHash("sha256");
      const base = randomBytes(CHUNK);
      const n = Math.ceil(total / CHUNK);
      let sentBytes = 0;
      function* chunks() {
        for (let seq = 0; seq < n; seq++) {
          const data = chunkAt(base, seq);
          sentHash.update(data);
          sentBytes += data.length;
          yield create(InternalInvokeRequestStreamSchema, {
            request: seq === 0 ? requestHeader(ECHO_METHOD) : undefined,
            payload: { data, seq: BigInt(seq) },
          });
        }
      }
      send(stream, reader, chunks());
      let recvBytes = 0;
      let expect = 0n;
      for await (const m of receive(stream, reader)) {
        if (!m.payload || m.payload.seq !== expect++) throw new Error("bad echo seq");
        recvHash.update(m.payload.data);
        recvBytes += m.payload.data.length;
      }
      return { sentBytes, recvBytes, sentDigest: sentHash.digest("hex"), recvDigest: recvHash.digest("hex") };
    },
    async exchange(msgs, path = PATH) {
      const stream = open(path);
      const reader = new CourierResponseReader(stream, address);
      send(stream, reader, msgs);
      let responses = 0;
      try {
        for await (const _ of receive(stream, reader)) responses++;
        return { code: 0, message: "", responses };
      } catch (e) {
        if (e instanceof InvocationError) return { code: e.code, message: e.message, responses };
        return { code: -1, message: `not an InvocationError: ${String(e)}`, responses };
      }
    },
    close: () => pool.close(),
  };
}

/** Resolves on 'drain', rejects if the stream closes first. */
function drained(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      stream.off("drain", onDrain);
      reject(new Error("stream closed"));
    };
    stream.once("drain", onDrain);
    stream.once("close", onClose);
  });
}

/** internal-client.ts's ResponseReader: headers, length-prefixed messages, then grpc-status from the trailers. */
class CourierResponseReader {
  sendError: unknown;
  readonly #stream: http2.ClientHttp2Stream;
  readonly #address: string;
  readonly #headers: Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>;
  #trailers: http2.IncomingHttpHeaders | undefined;
  #error: unknown;

  constructor(stream: http2.ClientHttp2Stream, address: string) {
    this.#stream = stream;
    this.#address = address;
    stream.on("trailers", (t) => (this.#trailers = t));
    stream.on("error", (err) => (this.#error ??= err));
    this.#headers = new Promise((resolve, reject) => {
      let answered = false;
      stream.once("response", (headers) => {
        answered = true;
        resolve(headers);
      });
      stream.once("close", () => {
        if (!answered) reject(this.#failure("the stream closed before response headers"));
      });
    });
    this.#headers.catch(() => {});
  }

  async *messages(): AsyncGenerator<Uint8Array> {
    const headers = await this.#headers;
    const status = headers[":status"];
    const inlineStatus = headers["grpc-status"];
    if (inlineStatus !== undefined) {
      // Trailers-only answer.
      this.#throwIfError(inlineStatus, headers["grpc-message"]);
      return;
    }
    if (status !== 200) {
      throw new InvocationError(grpcCodeFromTransportStatus(status ?? 0), `unexpected HTTP status ${status} from ${this.#address}`);
    }
    const contentType = String(headers["content-type"] ?? "");
    if (!contentType.startsWith("application/grpc")) {
      throw new InvocationError(GrpcCode.Unknown, `unexpected content-type "${contentType}" from ${this.#address}`);
    }
    try {
      yield* decodeFrames(this.#stream.iterator({ destroyOnReturn: true }) as AsyncIterable<Uint8Array>, COURIER_MAX_MESSAGE);
    } catch (err) {
      if (err instanceof InvocationError) throw err;
      throw this.#failure("the stream failed");
    }
    const trailers = this.#trailers;
    if (trailers?.["grpc-status"] === undefined) throw this.#failure("the stream ended without a gRPC status");
    this.#throwIfError(trailers["grpc-status"], trailers["grpc-message"]);
  }

  #throwIfError(code: string | string[], message: string | string[] | undefined): void {
    const n = Number(Array.isArray(code) ? code[0] : code);
    if (n === 0) return;
    const valid = Number.isInteger(n) && n >= 0 && n <= 16 ? (n as GrpcCode) : GrpcCode.Unknown;
    throw new InvocationError(valid, decodeGrpcMessage(message));
  }

  #failure(what: string): unknown {
    if (this.sendError !== undefined) return this.sendError;
    const err = this.#error as (Error & { code?: string }) | undefined;
    const rst = this.#stream.rstCode;
    if (err === undefined && rst === http2.constants.NGHTTP2_REFUSED_STREAM) {
      return new InvocationError(GrpcCode.Unavailable, `${this.#address} refused the stream`);
    }
    if (err === undefined && rst === http2.constants.NGHTTP2_CANCEL) return new InvocationError(GrpcCode.Canceled, "stream canceled by the peer");
    const detail = err ? `${err.code ? `${err.code}: ` : ""}${err.message}` : `RST_STREAM code ${rst ?? "none"}`;
    const connectionLevel = err?.code !== "ERR_HTTP2_STREAM_ERROR" || rst === http2.constants.NGHTTP2_REFUSED_STREAM;
    return new InvocationError(
      connectionLevel ? GrpcCode.Unavailable : GrpcCode.Internal,
      `connection error with ${this.#address}: ${what}: ${detail}`,
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------- orchestration

interface ServerHandle {
  child: ChildProcess;
  port: number;
  ask(cmd: string): Promise<{ cpu?: NodeJS.CpuUsage; rss: number }>;
}

async function startServer(kind: Kind): Promise<ServerHandle> {
  const child = fork(fileURLToPath(import.meta.url), ["server", kind], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const pending = new Map<number, (v: { cpu?: NodeJS.CpuUsage; rss: number }) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c) => reject(new Error(`server exited ${c}`)));
    child.on("message", (m: { ready?: number; id?: number; cpu?: NodeJS.CpuUsage; rss: number }) => {
      if (m.ready) resolve(m.ready);
      else if (m.id && pending.has(m.id)) {
        pending.get(m.id)!(m);
        pending.delete(m.id);
      }
    });
  });
  return {
    child,
    port,
    ask(cmd) {
      const id = nextId++;
      return new Promise((res) => {
        pending.set(id, res);
        child.send({ cmd, id });
      });
    },
  };
}

async function stopServer(s: ServerHandle): Promise<void> {
  const exited = once(s.child, "exit");
  s.child.send({ cmd: "exit" });
  const t = setTimeout(() => s.child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(t);
}

const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function closedLoop(c: BenchClient, ms: number): Promise<{ calls: number; errors: number; elapsed: number }> {
  const start = performance.now();
  const end = start + ms;
  let calls = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        await c.call();
        calls++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { calls, errors, elapsed: performance.now() - start };
}

/** Open loop: call i is scheduled at start + i/RATE; latency is measured from the scheduled time. */
async function openLoop(
  c: BenchClient,
  ms: number,
  rate = RATE,
): Promise<{ lat: number[]; errors: number; sent: number; unfinished: number; firstError?: string }> {
  let firstError: string | undefined;
  const total = Math.round((ms / 1000) * rate);
  const interval = 1000 / rate;
  const lat: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 5;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        const scheduled = start + i * interval;
        i++;
        inflight.push(
          c.call().then(
            () => void lat.push(performance.now() - scheduled),
            (e: unknown) => {
              errors++;
              firstError ??= (e as Error).message;
            },
          ),
        );
      }
      if (i >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
  });
  // Let the backlog drain (bounded) so it cannot leak into the next phase.
  await Promise.race([Promise.allSettled(inflight), sleep(DRAIN_CAP_MS)]);
  const unfinished = total - errors - lat.length;
  lat.sort((a, b) => a - b);
  return { lat, errors, sent: total, unfinished, firstError };
}

/**
 * Status interop on the benchmark's connection: an OK call, an unknown method (→ UNIMPLEMENTED), a
 * failure before any response (→ trailers-only INTERNAL) and a failure after a streamed response
 * message (→ INTERNAL in the trailers, the message still delivered). "ok" or what differed.
 */
async function interopCheck(c: BenchClient): Promise<string> {
  const msg = (seq: bigint, methodName?: string): InternalInvokeRequestStream =>
    create(InternalInvokeRequestStreamSchema, {
      request: methodName === undefined ? undefined : requestHeader(methodName),
      payload: { data: SMALL_BODY, seq },
    });
  const cases: [string, () => Promise<Outcome>, Outcome][] = [
    ["ok", () => c.exchange([SMALL_REQ]), { code: 0, message: "", responses: 1 }],
    ["unimpl", () => c.exchange([SMALL_REQ], UNKNOWN_PATH), { code: GrpcCode.Unimplemented, message: "", responses: 0 }],
    ["err", () => c.exchange([msg(5n, "api/v1/invoke")]), { code: GrpcCode.Internal, message: "bad seq 5 != 0", responses: 0 }],
    [
      "err-after-data",
      () => c.exchange([msg(0n, ECHO_METHOD), msg(7n)]),
      { code: GrpcCode.Internal, message: "bad seq 7 != 1", responses: 1 },
    ],
  ];
  const bad: string[] = [];
  for (const [name, run, want] of cases) {
    let got: Outcome;
    try {
      got = await Promise.race([run(), sleep(10_000).then(() => Promise.reject(new Error("timeout")))]);
    } catch (e) {
      bad.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    if (got.code !== want.code || got.responses !== want.responses || (want.message && got.message !== want.message)) {
      bad.push(`${name}: code ${got.code} "${got.message.slice(0, 80)}" ${got.responses} msg (want ${want.code}, ${want.responses} msg)`);
    }
  }
  return bad.length === 0 ? "ok" : bad.join("; ");
}

interface Row {
  client: Kind;
  server: Kind;
  rps: number;
  tpErrors: number;
  cliCpuPerK: number;
  srvCpuPerK: number;
  lowP50: number;
  lowP99: number;
  p50: number;
  p90: number;
  p99: number;
  pmax: number;
  latErrors: string;
  streamS: number;
  streamMiBs: number;
  cliRss: number;
  srvRss: number;
  streamOk: string;
  interop: string;
  /** 1-min load average before → after the combination (other work on the machine skews results). */
  load: string;
}

async function runCombo(clientKind: Kind, serverKind: Kind): Promise<Row> {
  const load0 = loadavg()[0]!;
  const srv = await startServer(serverKind);
  const c =
    clientKind === "grpc-js" ? makeGrpcClient(srv.port) : clientKind === "connect" ? makeConnectClient(srv.port) : makeCourierClient(srv.port);
  try {
    // (3) 64 MiB streamed echo — first, on the fresh connection, so call backlog cannot skew RSS/time
    const srvBase = (await srv.ask("peakStart")).rss;
    const cliBase = process.memoryUsage.rss();
    let cliPeak = cliBase;
    const sampler = setInterval(() => (cliPeak = Math.max(cliPeak, process.memoryUsage.rss())), 20);
    const t0 = performance.now();
    let streamOk = "ok";
    let streamS = NaN;
    try {
      const r = await Promise.race([
        c.stream(STREAM_BYTES),
        sleep(STREAM_TIMEOUT_MS).then(() => Promise.reject(new Error("stream timeout"))),
      ]);
      streamS = (performance.now() - t0) / 1000;
      if (r.sentBytes !== STREAM_BYTES || r.recvBytes !== STREAM_BYTES || r.sentDigest !== r.recvDigest) {
        streamOk = `MISMATCH sent=${r.sentBytes} recv=${r.recvBytes}`;
      } else streamOk = `ok ${r.recvDigest.slice(0, 8)}`;
    } catch (e) {
      streamOk = `FAIL ${(e as Error).message}`;
    }
    clearInterval(sampler);
    cliPeak = Math.max(cliPeak, process.memoryUsage.rss());
    const srvPeak = (await srv.ask("peakStop")).rss;
    console.error(`  stream ${streamS.toFixed(2)} s ${streamOk}`);
    const interop = await interopCheck(c);
    console.error(`  interop: ${interop}`);
    // (1) throughput
    await closedLoop(c, WARMUP_MS);
    const s0 = (await srv.ask("stats")).cpu!;
    const c0 = process.cpuUsage();
    const tp = await closedLoop(c, THROUGHPUT_MS);
    const c1 = process.cpuUsage();
    const s1 = (await srv.ask("stats")).cpu!;
    const rps = (tp.calls / tp.elapsed) * 1000;
    const cliCpuPerK = (cpuMs(c0, c1) / tp.calls) * 1000;
    const srvCpuPerK = (cpuMs(s0, s1) / tp.calls) * 1000;
    console.error(`  ${clientKind}→${serverKind}: ${rps.toFixed(0)} calls/s (${tp.errors} errors)`);

    // (2a) latency at a low fixed rate, (2b) at RATE
    const low = await openLoop(c, LOW_MS, LOW_RATE);
    await openLoop(c, LATENCY_WARMUP_MS);
    const ol = await openLoop(c, LATENCY_MS);
    console.error(
      `  latency @${LOW_RATE}/s p50 ${pct(low.lat, 50).toFixed(2)} p99 ${pct(low.lat, 99).toFixed(2)} ms (${low.errors} err ${low.unfinished} unfinished ${low.firstError ?? ""})`,
    );
    console.error(
      `  latency @${RATE}/s p50 ${pct(ol.lat, 50).toFixed(2)} p99 ${pct(ol.lat, 99).toFixed(2)} ms (${ol.errors} err ${ol.unfinished} unfinished ${ol.firstError ?? ""})`,
    );

    return {
      client: clientKind,
      server: serverKind,
      rps,
      tpErrors: tp.errors,
      cliCpuPerK,
      srvCpuPerK,
      lowP50: pct(low.lat, 50),
      lowP99: pct(low.lat, 99),
      p50: pct(ol.lat, 50),
      p90: pct(ol.lat, 90),
      p99: pct(ol.lat, 99),
      pmax: ol.lat[ol.lat.length - 1] ?? NaN,
      latErrors: `${ol.errors}/${ol.unfinished}`,
      streamS,
      streamMiBs: STREAM_BYTES / 1024 / 1024 / streamS,
      cliRss: (cliPeak - cliBase) / 1024 / 1024,
      srvRss: (srvPeak - srvBase) / 1024 / 1024,
      streamOk,
      interop,
      load: `${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)}`,
    };
  } finally {
    c.close();
    await stopServer(srv);
  }
}

function table(rows: Row[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–");
  const lines = [
    `| client → server | calls/s (${CONCURRENCY} in flight) | client CPU ms/1k calls | server CPU ms/1k calls | p50 / p99 ms @${LOW_RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | max ms | errors: tp / lat(err/unfinished) | ${STREAM_BYTES / 1048576} MiB echo s | MiB/s (each way) | client ΔRSS peak MiB | server ΔRSS peak MiB | stream check | status interop | loadavg 1m |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.client} → ${r.server} | ${f(r.rps, 0)} | ${f(r.cliCpuPerK, 0)} | ${f(r.srvCpuPerK, 0)} | ${f(r.lowP50, 2)} / ${f(r.lowP99, 2)} | ${f(r.p50, 2)} | ${f(r.p90, 2)} | ${f(r.p99, 2)} | ${f(r.pmax, 1)} | ${r.tpErrors} / ${r.latErrors} | ${f(r.streamS, 2)} | ${f(r.streamMiBs, 1)} | ${f(r.cliRss, 1)} | ${f(r.srvRss, 1)} | ${r.streamOk} | ${r.interop} | ${r.load} |`,
    );
  }
  return lines.join("\n");
}

/**
 * Which code courier-h2 ran: the @courier/invocation dist modules it uses (build times) and whether
 * their sources differ from git HEAD (others may be editing them while this runs).
 */
function provenance(): string {
  try {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
    const head = execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();
    const used = ["grpc-frame", "grpc-wire", "http2-session-pool"];
    const parts = used.map((m) => {
      const built = statSync(join(root, "packages/invocation/dist/internal", `${m}.js`)).mtime.toISOString().slice(0, 19);
      const src = `packages/invocation/src/internal/${m}.ts`;
      const dirty = execSync(`git status --porcelain -- ${src}`, { cwd: root }).toString().trim() !== "";
      return `${m}.js built ${built}Z${dirty ? ` (${m}.ts has uncommitted changes vs ${head})` : ""}`;
    });
    return `HEAD ${head}; ${parts.join(", ")}`;
  } catch {
    return "unknown (no git)";
  }
}

/** Runs one combination in a fresh client process (which starts its own server process). */
function runComboIsolated(clientKind: Kind, serverKind: Kind): Promise<Row> {
  const args = ["combo", clientKind, serverKind, ...(QUICK ? ["--quick"] : [])];
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise<Row>((resolve, reject) => {
    child.once("message", (m: { row?: Row; error?: string }) => (m.row ? resolve(m.row) : reject(new Error(m.error))));
    child.once("exit", (code) => reject(new Error(`combination process exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error("watchdog: giving up");
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const rows: Row[] = [];
  for (const clientKind of KINDS) {
    for (const serverKind of KINDS) {
      if (ONLY && ONLY !== `${clientKind}:${serverKind}`) continue;
      console.error(`${clientKind} client → ${serverKind} server`);
      rows.push(await runComboIsolated(clientKind, serverKind));
    }
  }
  const md = table(rows);
  console.log(md);
  const env = [
    `- date: ${new Date().toISOString()}`,
    `- \`uname -m\`: ${execSync("uname -m").toString().trim()}; ${cpus().length} cores; CPU: ${cpus()[0]?.model.trim()}`,
    `- node ${process.version}; @grpc/grpc-js 1.14.7, @connectrpc/connect(-node) 2.1.2, @bufbuild/protobuf 2.13.0; courier-h2 = @courier/invocation's encodeFrame/decodeFrames/Http2SessionPool on node:http2`,
    `- courier-h2 code (packages/invocation/dist): ${provenance()}`,
    `- mode: ${QUICK ? "QUICK (shortened)" : "full"}; ${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up + ${THROUGHPUT_MS / 1000} s; open loop ${LOW_RATE}/s for ${LOW_MS / 1000} s, then ${RATE}/s for ${LATENCY_MS / 1000} s (latency from the scheduled send time); ${STREAM_BYTES / 1024 / 1024} MiB echo in ${CHUNK / 1024} KiB chunks`,
  ].join("\n");
  if (ONLY) return;
  // Results go between markers in TRANSPORT.md so the hand-written conclusion survives re-runs.
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "TRANSPORT.md");
  const START = "<!-- results:start -->";
  const END = "<!-- results:end -->";
  const block = `${START}\n${env}\n\n${md}\n${END}`;
  const old = existsSync(out) ? readFileSync(out, "utf8") : "";
  const i = old.indexOf(START);
  const j = old.indexOf(END);
  const next =
    i >= 0 && j > i
      ? old.slice(0, i) + block + old.slice(j + END.length)
      : `# CallLocalStream transport: grpc-js vs connect-node vs courier-h2\n\n${block}\n`;
  writeFileSync(out, next);
  console.error(`results written to ${out}`);
}

if (process.argv[2] === "server") {
  void runServer(process.argv[3] as Kind);
} else if (process.argv[2] === "combo") {
  process.on("disconnect", () => process.exit(2)); // the parent (watchdog) gave up
  runCombo(process.argv[3] as Kind, process.argv[4] as Kind).then(
    (row) => process.send!({ row }, () => process.exit(0)),
    (e: unknown) => process.send!({ error: String((e as Error)?.stack ?? e) }, () => process.exit(1)),
  );
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
