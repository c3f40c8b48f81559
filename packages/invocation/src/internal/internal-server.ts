import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
} from "@courier/protos";
import type { InternalInvokeRequest, InternalInvokeRequestStream } from "@courier/protos";
import { GrpcCode, InvocationError, deadlineExceededError } from "../errors.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { CalleeDispatcher } from "../messaging/callee-dispatcher.js";
import { bodyFromBytes, discardBody, readBody } from "../model/body.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { readRequestStream } from "./call-local-stream-reader.js";
import { writeResponseStream } from "./call-local-stream-writer.js";
import { decodeFrames, encodeFrame } from "./grpc-frame.js";
import { encodeGrpcMessage, parseGrpcTimeout } from "./grpc-wire.js";
import { STREAM_WINDOW } from "./http2-session-pool.js";
import { fromInternalRequest, toInternalResponse } from "./proto-convert.js";
import { CALL_LOCAL_PATH, CALL_LOCAL_STREAM_PATH } from "./service-definition.js";

export interface InternalGrpcServerOptions {
  dispatcher: CalleeDispatcher;
  /** Max gRPC message size both ways (daprd: `--max-body-size`, spec §2.11). */
  maxMessageSize: number;
  log?: Logger;
  /**
   * Ping every connection this often and drop it when the ack does not come within
   * `keepaliveTimeoutMs` (spec §2.10: 10 s / 5 s), so calls from a peer that vanished without a
   * FIN or RST (host down, network partition) are cancelled instead of held forever.
   */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

const ENVELOPE_SLACK = 64 * 1024;

/**
 * The callee side of the internal protocol (spec §3.1, §3.2): gRPC over Node's HTTP/2 server.
 * Owning the HTTP/2 server (rather than a grpc-js Server) lets unknown methods be routed later
 * (transparent gRPC proxy, spec §4.6). Anything a peer sends — garbage frames, bad protobuf,
 * HTTP/1.1 — gets a gRPC status or a closed connection, never an exception past here.
 */
export class InternalGrpcServer {
  readonly #server: http2.Http2Server;
  readonly #opts: InternalGrpcServerOptions;
  readonly #log: Logger;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #calls = new Set<http2.ServerHttp2Stream>();
  readonly #keepalive: NodeJS.Timeout;

  constructor(opts: InternalGrpcServerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#server = http2.createServer({
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      maxSessionMemory: 64,
    });
    this.#server.on("session", (session) => {
      this.#sessions.add(session);
      session.on("close", () => this.#sessions.delete(session));
      session.on("error", (err) => this.#log.debug({ err: String(err) }, "internal gRPC session error"));
      session.on("connect", () => {
        try {
          session.setLocalWindowSize(16 * 1024 * 1024);
        } catch {
          /* gone already */
        }
      });
    });
    // Small gRPC frames go out at once; Nagle would hold them for the peer's delayed ACK.
    this.#server.on("connection", (socket: Socket) => socket.setNoDelay(true));
    this.#server.on("sessionError", (err) => this.#log.debug({ err: String(err) }, "internal gRPC session error"));
    // HTTP/1.x or TLS bytes on the cleartext HTTP/2 port: close the socket.
    this.#server.on("unknownProtocol", (socket) => socket.destroy());
    const keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 5_000;
    this.#keepalive = setInterval(() => this.#ping(keepaliveTimeoutMs), opts.keepaliveMs ?? 10_000);
    this.#keepalive.unref();
    this.#server.on("stream", (stream, headers) => {
      stream.on("error", (err) => this.#log.debug({ err: String(err) }, "internal gRPC stream error"));
      void this.#route(stream, headers).catch((err) => {
        this.#log.error({ err: String((err as Error)?.stack ?? err) }, "internal gRPC handler failed");
        this.#fail(stream, err);
      });
    });
  }

  listen(port: number, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** GOAWAY to every peer, let in-flight calls finish for up to `graceMs`, then cut them. */
  async close(graceMs = 5_000): Promise<void> {
    clearInterval(this.#keepalive);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    const timer = setTimeout(() => {
      for (const stream of this.#calls) stream.close(http2.constants.NGHTTP2_CANCEL);
      for (const session of this.#sessions) session.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  #ping(timeoutMs: number): void {
    for (const session of this.#sessions) {
      if (session.destroyed || session.closed) continue;
      const timer = setTimeout(() => {
        this.#log.warn("internal gRPC keepalive ping timed out; dropping the connection");
        session.destroy();
      }, timeoutMs);
      timer.unref();
      try {
        const sent = session.ping((err) => {
          clearTimeout(timer);
          if (err && !session.destroyed) session.destroy();
        });
        // Too many pings already outstanding: the earlier ones' timers decide.
        if (!sent) clearTimeout(timer);
      } catch {
        clearTimeout(timer);
      }
    }
  }

  async #route(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    const path = headers[":path"];
    const contentType = String(headers["content-type"] ?? "");
    if (headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
      // gRPC over HTTP/2: a non-gRPC request is answered at the HTTP level.
      if (!stream.headersSent && !stream.closed) stream.respond({ ":status": 415 }, { endStream: true });
      return;
    }
    if (path === CALL_LOCAL_STREAM_PATH) return this.#callLocalStream(stream, headers);
    if (path === CALL_LOCAL_PATH) return this.#callLocal(stream, headers);
    stream.resume();
    this.#fail(stream, new InvocationError(GrpcCode.Unimplemented, `unknown method ${String(path)}`));
  }

  #callContext(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): ServerCall {
    this.#calls.add(stream);
    const controller = new AbortController();
    const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"]);
    const call: ServerCall = {
      signal: controller.signal,
      deadline: timeoutMs !== undefined ? Date.now() + timeoutMs : undefined,
      state: "pending",
      onDeadline: undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      // The caller's deadline reaches the app call (deliberate difference, spec §11 row 4), and
      // bounds the call whatever the app does: the caller gets DeadlineExceeded at the deadline.
      timer = setTimeout(() => {
        const err = deadlineExceededError();
        controller.abort(err);
        if (call.state === "pending") {
          call.state = "done";
          this.#fail(stream, err);
        } else if (call.state === "responding") {
          call.onDeadline?.(err);
        }
      }, timeoutMs);
    }
    stream.once("close", () => {
      if (timer) clearTimeout(timer);
      this.#calls.delete(stream);
      // The caller went away (or the connection died) before the whole answer was sent.
      if (call.state !== "done") controller.abort(new InvocationError(GrpcCode.Canceled, "context canceled"));
    });
    return call;
  }

  #messages(stream: http2.ServerHttp2Stream): AsyncGenerator<Uint8Array> {
    // The stream must survive reading its request to the end: the answer goes out on it.
    return decodeFrames(stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>, this.#opts.maxMessageSize + ENVELOPE_SLACK);
  }

  async #callLocal(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    const call = this.#callContext(stream, headers);
    let res: InvokeResponse | undefined;
    try {
      let message: InternalInvokeRequest | undefined;
      for await (const frame of this.#messages(stream)) {
        if (message !== undefined) throw new InvocationError(GrpcCode.Unimplemented, "CallLocal takes exactly one request message");
        message = decode(InternalInvokeRequestSchema, frame);
      }
      if (message === undefined) throw new InvocationError(GrpcCode.Unimplemented, "CallLocal got no request message");
      if (!message.message) throw new InvocationError(GrpcCode.InvalidArgument, "parsing InternalInvokeRequest error: field Message is nil");
      const data = message.message.data?.value ?? new Uint8Array(0);
      res = await this.#opts.dispatcher.dispatch(fromInternalRequest(message, bodyFromBytes(data), data.byteLength), {
        signal: call.signal,
        deadline: call.deadline,
      });
      const body = await readBody(res.body, this.#opts.maxMessageSize);
      const out = encodeFrame(toBinary(InternalInvokeResponseSchema, toInternalResponse(res, { includeBody: body })));
      this.#respond(stream, call, async () => {
        stream.write(out);
      });
    } catch (err) {
      if (res) void discardBody(res.body);
      this.#answerError(stream, call, err);
    }
  }

  async #callLocalStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    const call = this.#callContext(stream, headers);
    let res: InvokeResponse | undefined;
    try {
      const frames = this.#messages(stream);
      const messages: AsyncIterable<InternalInvokeRequestStream> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            const r = await frames.next();
            return r.done ? r : { done: false, value: decode(InternalInvokeRequestStreamSchema, r.value) };
          },
          return: async () => {
            await frames.return(undefined);
            return { done: true as const, value: undefined };
          },
        }),
      };
      const { request, body } = await readRequestStream(messages);
      const length = Number(firstValue(request.metadata, "content-length"));
      const req = fromInternalRequest(request, body, Number.isInteger(length) && length >= 0 ? length : undefined);
      res = await this.#opts.dispatcher.dispatch(req, { signal: call.signal, deadline: call.deadline });
      const response = res;
      this.#respond(stream, call, async () => {
        for await (const msg of writeResponseStream(response)) {
          // Cut by the caller, the deadline or close(): leaving the loop closes the app's body.
          if (stream.closed || stream.destroyed || stream.writableEnded) return;
          if (!stream.write(encodeFrame(toBinary(InternalInvokeResponseStreamSchema, msg)))) await drained(stream, call.signal);
        }
      }, () => discardBody(response.body));
    } catch (err) {
      if (res) void discardBody(res.body);
      this.#answerError(stream, call, err);
    }
  }

  /**
   * Sends headers, runs `write`, then the status in trailers — OK, or the error `write` hit, or
   * DeadlineExceeded when the deadline passes first. When the call is already over (the caller
   * left, the deadline answered it) nothing is sent and `discard` releases the app's answer.
   */
  #respond(stream: http2.ServerHttp2Stream, call: ServerCall, write: () => Promise<void>, discard?: () => Promise<void>): void {
    if (call.state !== "pending" || stream.closed || stream.destroyed) {
      void discard?.();
      return;
    }
    call.state = "responding";
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
    const finish = (outcome: { code: number; message: string }) => {
      if (call.state === "done") return;
      call.state = "done";
      status = outcome;
      // A body that failed after the header went out: the caller sees the status in the trailers.
      if (!stream.closed && !stream.destroyed && !stream.writableEnded) stream.end();
    };
    call.onDeadline = (err) => finish(toStatus(err));
    try {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    } catch {
      call.state = "done";
      void discard?.();
      return;
    }
    write().then(
      () => finish({ code: GrpcCode.OK, message: "" }),
      (err) => finish(toStatus(err)),
    );
  }

  /** A handler failure: answered as a status unless the call is already over. */
  #answerError(stream: http2.ServerHttp2Stream, call: ServerCall, err: unknown): void {
    if (call.state !== "pending") return;
    call.state = "done";
    this.#fail(stream, err);
  }

  #fail(stream: http2.ServerHttp2Stream, err: unknown): void {
    if (stream.closed || stream.destroyed) return;
    const { code, message } = toStatus(err);
    if (code === GrpcCode.Internal || code === GrpcCode.Unknown) this.#log.debug({ err: message }, "internal call failed");
    if (stream.headersSent) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    // Trailers-only answer (gRPC over HTTP/2).
    try {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeGrpcMessage(message) },
        { endStream: true },
      );
    } catch {
      /* stream gone */
    }
  }
}

type ServerCall = {
  readonly signal: AbortSignal;
  readonly deadline: number | undefined;
  /** pending: nothing sent yet; responding: headers out, body being written; done: answered. */
  state: "pending" | "responding" | "done";
  /** Ends a response in progress with the deadline's status. */
  onDeadline: ((err: InvocationError) => void) | undefined;
};

/** Resolves on 'drain', on close, or when the call is aborted: a writer never hangs. */
function drained(stream: http2.ServerHttp2Stream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

function decode<T>(schema: Parameters<typeof fromBinary>[0], bytes: Uint8Array): T {
  try {
    return fromBinary(schema, bytes) as T;
  } catch (err) {
    // grpc-go answers an unparsable request with Internal; so does Courier.
    throw new InvocationError(GrpcCode.Internal, `grpc: error unmarshalling request: ${(err as Error).message}`);
  }
}

function toStatus(err: unknown): { code: number; message: string } {
  if (err instanceof InvocationError) return { code: err.code, message: err.message };
  return { code: GrpcCode.Internal, message: (err as Error)?.message ?? String(err) };
}

function firstValue(map: InternalInvokeRequest["metadata"], name: string): string | undefined {
  for (const [key, list] of Object.entries(map)) {
    if (key.toLowerCase() === name && list.values.length > 0) return list.values[0];
  }
  return undefined;
}
