import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
} from "@courier/protos";
import type { InternalInvokeResponseStream } from "@courier/protos";
import { GrpcCode, InvocationError, abortedCallError, deadlineExceededError } from "../errors.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { RemoteInvoker } from "../messaging/remote-invoker.js";
import { bodyFromBytes, readBody } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { ReplayableBody } from "../model/replayable-body.js";
import { readResponseStream } from "./call-local-stream-reader.js";
import { writeRequestStream } from "./call-local-stream-writer.js";
import { decodeFrames, encodeFrame } from "./grpc-frame.js";
import { decodeGrpcMessage, encodeGrpcTimeout, grpcCodeFromTransportStatus } from "./grpc-wire.js";
import { Http2SessionPool } from "./http2-session-pool.js";
import { fromInternalResponse, toInternalRequest } from "./proto-convert.js";
import { CALL_LOCAL_PATH, CALL_LOCAL_STREAM_PATH } from "./service-definition.js";

export interface InternalGrpcClientOptions {
  /** Max gRPC message size both ways (daprd: `--max-body-size`, spec §2.1). */
  maxMessageSize: number;
  log?: Logger;
  /** Session keepalive/idle settings (spec §2.10 defaults). */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  idleMs?: number;
}

/** Room for the header part of a unary CallLocal next to a body of maxMessageSize. */
const ENVELOPE_SLACK = 64 * 1024;
const USER_AGENT = "courier/0.1 (grpc over node:http2)";

/**
 * The caller side of the internal protocol: gRPC over Node's own HTTP/2, one session per
 * remote sidecar address shared by all concurrent calls (spec §2.10). Measured against grpc-js
 * and connect-node (tools/bench/TRANSPORT.md), a direct implementation of this one RPC shape
 * costs a fraction of the CPU per call. Calls go over CallLocalStream; a callee answering
 * Unimplemented (an old daprd) gets unary CallLocal when the body can be replayed (spec §2.8).
 */
export class InternalGrpcClient implements RemoteInvoker {
  readonly #pool: Http2SessionPool;
  readonly #unaryOnly = new Set<string>();
  /** Peers that answered a CallLocalStream, so they need no fallback replay buffer. */
  readonly #streamingPeers = new Set<string>();
  readonly #opts: InternalGrpcClientOptions;
  readonly #log: Logger;

  constructor(opts: InternalGrpcClientOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#pool = new Http2SessionPool({
      log: this.#log,
      keepaliveMs: opts.keepaliveMs,
      keepaliveTimeoutMs: opts.keepaliveTimeoutMs,
      idleMs: opts.idleMs,
    });
  }

  async invoke(address: string, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    if (ctx.signal.aborted) throw abortedCallError(ctx.signal);
    // A call whose deadline already passed is not sent at all (as gRPC clients do).
    if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) throw deadlineExceededError();
    if (this.#unaryOnly.has(address)) {
      // Only a body that could be replayed may go unary, as on the first call (spec §2.8).
      if (req.contentLength === undefined || req.contentLength > this.#opts.maxMessageSize) throw streamingUnsupported(ctx);
      return this.#callLocal(address, req, ctx, await readBody(req.body, this.#opts.maxMessageSize));
    }
    // Until the peer has answered one CallLocalStream, keep a known-length body replayable (by
    // reference, no copies) for the unary fallback; after that, the hot path skips the extra layer.
    const replay =
      req.contentLength !== undefined && !this.#streamingPeers.has(address)
        ? new ReplayableBody(req.body, this.#opts.maxMessageSize)
        : undefined;
    try {
      const res = await this.#callLocalStream(address, replay ? { ...req, body: replay.reader() } : req, ctx);
      this.#streamingPeers.add(address);
      return res;
    } catch (err) {
      if (!(err instanceof UnimplementedOnFirstReceive)) throw err;
      if (!replay?.replayable) throw streamingUnsupported(ctx);
      this.#log.warn({ address }, "target sidecar does not support CallLocalStream; falling back to CallLocal");
      this.#unaryOnly.add(address);
      return this.#callLocal(address, req, ctx, await readBody(replay.reader(), this.#opts.maxMessageSize));
    } finally {
      replay?.release();
    }
  }

  /**
   * Drops the session to `address` (spec §2.9). The address is also probed for CallLocalStream
   * again: a connection failure is how an upgraded (restarted) sidecar first shows up.
   */
  reset(address: string): void {
    this.#pool.reset(address);
    this.#unaryOnly.delete(address);
    this.#streamingPeers.delete(address);
  }

  async close(): Promise<void> {
    this.#pool.close();
  }

  async #callLocalStream(address: string, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const call = new ClientCall(this.#pool, address, CALL_LOCAL_STREAM_PATH, ctx, this.#opts.maxMessageSize + ENVELOPE_SLACK);
    const { stream } = call;

    void (async () => {
      try {
        for await (const msg of writeRequestStream(req)) {
          // The call is over (answered, failed or cancelled): leaving the loop closes the body.
          if (call.ended) return;
          if (!stream.write(encodeFrame(toBinary(InternalInvokeRequestStreamSchema, msg)))) await call.drained();
        }
        if (!call.ended) stream.end();
      } catch (err) {
        // A failing request body (too large, caller gone) ends the call instead of hanging it.
        if (!call.ended) call.failSend(err);
      }
    })();

    let first = true;
    const messages: AsyncIterable<InternalInvokeResponseStream> = {
      [Symbol.asyncIterator]: () => {
        const frames = call.messages();
        return {
          next: async () => {
            try {
              const r = await frames.next();
              first = false;
              return r.done ? r : { done: false, value: decode(InternalInvokeResponseStreamSchema, r.value) };
            } catch (err) {
              const wasFirst = first;
              first = false;
              call.cancel();
              if (wasFirst && err instanceof InvocationError && err.code === GrpcCode.Unimplemented && call.sendError === undefined) {
                throw new UnimplementedOnFirstReceive();
              }
              throw err;
            }
          },
          return: async () => {
            call.cancel();
            await frames.return(undefined);
            return { done: true as const, value: undefined };
          },
        };
      },
    };

    try {
      const { response, body } = await readResponseStream(messages);
      return fromInternalResponse(response, body);
    } catch (err) {
      call.cancel();
      throw err;
    }
  }

  async #callLocal(address: string, req: InvokeRequest, ctx: InvokeContext, body: Uint8Array): Promise<InvokeResponse> {
    const call = new ClientCall(this.#pool, address, CALL_LOCAL_PATH, ctx, this.#opts.maxMessageSize + ENVELOPE_SLACK);
    try {
      call.stream.end(encodeFrame(toBinary(InternalInvokeRequestSchema, toInternalRequest(req, { includeBody: body }))));
      let message: Uint8Array | undefined;
      for await (const frame of call.messages()) {
        if (message !== undefined) throw new InvocationError(GrpcCode.Internal, "CallLocal answered with more than one message");
        message = frame;
      }
      if (message === undefined) throw new InvocationError(GrpcCode.Internal, "CallLocal answered with no message");
      const msg = decode(InternalInvokeResponseSchema, message);
      return fromInternalResponse(msg, bodyFromBytes(msg.message?.data?.value ?? new Uint8Array(0)));
    } catch (err) {
      call.cancel();
      throw err;
    }
  }
}

/**
 * One RPC on a pooled session: sends the request headers, then reads the response headers,
 * length-prefixed messages and the status from the trailers (or a trailers-only answer). Every
 * failure becomes an InvocationError whose code follows gRPC's rules. Owns the stream's
 * lifetime: the caller's abort and deadline cancel it, and any way out of the call (error,
 * early return, cancel) destroys it, so the session can close once its calls are over.
 */
class ClientCall {
  readonly stream: http2.ClientHttp2Stream;
  sendError: unknown;
  readonly #session: http2.ClientHttp2Session;
  readonly #address: string;
  readonly #max: number;
  readonly #ctx: InvokeContext;
  readonly #headers: Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>;
  #trailers: http2.IncomingHttpHeaders | undefined;
  #error: unknown;
  #cancelReason: InvocationError | undefined;
  #cancelled = false;
  /**
   * Cancels the stream: Node then destroys it with an AbortError, which sends RST_STREAM(CANCEL)
   * and nothing else. `stream.close(NGHTTP2_CANCEL)` would first end the writable side, and the
   * callee would read the END_STREAM that precedes the reset as a complete request body.
   */
  readonly #abort = new AbortController();

  constructor(pool: Http2SessionPool, address: string, path: string, ctx: InvokeContext, max: number) {
    this.#address = address;
    this.#max = max;
    this.#ctx = ctx;
    const lease = pool.acquire(address);
    this.#session = lease.session;
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": path,
      ":authority": address,
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": USER_AGENT,
    };
    // The caller's deadline travels with the call (deliberate difference, spec §11 row 4).
    if (ctx.deadline !== undefined) headers["grpc-timeout"] = encodeGrpcTimeout(ctx.deadline);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = lease.session.request(headers, { signal: this.#abort.signal });
    } catch (err) {
      lease.release();
      pool.reset(address);
      throw new InvocationError(GrpcCode.Unavailable, `connection to ${address} failed: ${(err as Error).message}`, { cause: err });
    }
    this.stream = stream;
    stream.on("trailers", (t) => (this.#trailers = t));
    stream.on("error", (err) => (this.#error ??= err));
    this.#headers = new Promise((resolve, reject) => {
      let answered = false;
      stream.once("response", (h) => {
        answered = true;
        resolve(h);
      });
      stream.once("close", () => {
        if (!answered) reject(this.#failure("the stream closed before response headers"));
      });
    });
    // Rejections are observed through messages(); keep an unread one from surfacing globally.
    this.#headers.catch(() => {});

    const onAbort = () => this.cancel(abortedCallError(ctx.signal));
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    // The deadline is enforced here too, whatever the callee does (as gRPC clients do).
    const timer =
      ctx.deadline !== undefined ? setTimeout(() => this.cancel(deadlineExceededError()), Math.max(0, ctx.deadline - Date.now())) : undefined;
    // The session is held until the response body is drained (spec §2.8, dapr#10291).
    stream.once("close", () => {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
      lease.release();
    });
  }

  /** True once the stream is closed: the call was answered, failed or was cancelled. */
  get ended(): boolean {
    return this.stream.closed || this.stream.destroyed;
  }

  /** Resolves on 'drain', or when the stream closes without one (never hangs a writer). */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
    });
  }

  /** The request body failed: that error is what the call reports. */
  failSend(err: unknown): void {
    this.sendError ??= err;
    this.cancel();
  }

  /**
   * RST_STREAM(CANCEL) and destroy (a stream merely closed keeps unread response data and stays
   * in the session until someone reads it). `reason` is what the call fails with.
   */
  cancel(reason?: InvocationError): void {
    if (reason !== undefined && !this.ended) this.#cancelReason ??= reason;
    this.#cancelled = true;
    if (!this.stream.destroyed) this.#abort.abort();
  }

  async *messages(): AsyncGenerator<Uint8Array> {
    let ok = false;
    try {
      const headers = await this.#headers;
      const status = headers[":status"];
      const inlineStatus = headers["grpc-status"];
      if (inlineStatus !== undefined) {
        // Trailers-only answer: the call failed (or succeeded empty) before any message.
        this.#throwIfError(inlineStatus, headers["grpc-message"]);
        ok = true;
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
        yield* decodeFrames(this.stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>, this.#max);
      } catch (err) {
        if (err instanceof InvocationError) throw err;
        throw this.#failure("the stream failed");
      }
      const trailers = this.#trailers;
      if (trailers?.["grpc-status"] === undefined) throw this.#failure("the stream ended without a gRPC status");
      this.#throwIfError(trailers["grpc-status"], trailers["grpc-message"]);
      ok = true;
    } finally {
      // An error, an early return, or a status while the request is still being sent (the callee
      // answered without reading it all): the call is over, so the stream goes.
      if (!ok || !this.stream.writableEnded) this.cancel();
    }
  }

  #throwIfError(code: string | string[], message: string | string[] | undefined): void {
    const n = Number(Array.isArray(code) ? code[0] : code);
    if (n === 0) return;
    const valid = Number.isInteger(n) && n >= 0 && n <= 16 ? (n as GrpcCode) : GrpcCode.Unknown;
    throw new InvocationError(valid, decodeGrpcMessage(message));
  }

  /** Maps how the stream died to a gRPC code: transport trouble is Unavailable (spec §2.9). */
  #failure(what: string): unknown {
    if (this.sendError !== undefined) return this.sendError;
    if (this.#cancelReason !== undefined) return this.#cancelReason;
    if (this.#ctx.signal.aborted) return abortedCallError(this.#ctx.signal);
    if (this.#cancelled) return new InvocationError(GrpcCode.Canceled, "context canceled");
    const err = this.#error as (Error & { code?: string }) | undefined;
    const rst = this.stream.rstCode;
    const detail = err ? `${err.code ? `${err.code}: ` : ""}${err.message}` : `RST_STREAM code ${rst ?? "none"}`;
    // Refused, reset or lost connections, GOAWAY, a session destroyed under the stream: the
    // transport's failure, which a retry on a new connection may not see.
    const session = this.#session;
    if (session.destroyed || session.closed || (err !== undefined && err.code !== "ERR_HTTP2_STREAM_ERROR") || rst === http2.constants.NGHTTP2_REFUSED_STREAM) {
      return new InvocationError(GrpcCode.Unavailable, `connection error with ${this.#address}: ${what}: ${detail}`, { cause: err });
    }
    // The peer reset this one stream on a healthy connection (gRPC's RST_STREAM mapping).
    return new InvocationError(grpcCodeFromRstCode(rst), `stream error with ${this.#address}: ${what}: ${detail}`, { cause: err });
  }
}

/** A response message that does not parse fails the call like grpc-go does (Internal). */
function decode<D extends DescMessage>(schema: D, bytes: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new InvocationError(GrpcCode.Internal, `grpc: failed to unmarshal the received message: ${(err as Error).message}`, { cause: err });
  }
}

function grpcCodeFromRstCode(rst: number | undefined): GrpcCode {
  switch (rst) {
    case http2.constants.NGHTTP2_CANCEL:
      return GrpcCode.Canceled;
    case http2.constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return GrpcCode.ResourceExhausted;
    case http2.constants.NGHTTP2_INADEQUATE_SECURITY:
      return GrpcCode.PermissionDenied;
    default:
      return GrpcCode.Internal;
  }
}

function streamingUnsupported(ctx: InvokeContext): InvocationError {
  return new InvocationError(
    GrpcCode.Unimplemented,
    `target app '${ctx.target.appId}' is running a version of Dapr that does not support streaming-based service invocation`,
  );
}

/** Internal marker: the callee does not implement CallLocalStream. */
class UnimplementedOnFirstReceive extends Error {}
