import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { InternalInvokeRequestStream, InternalInvokeResponse, InternalInvokeResponseStream } from "@courier/protos";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import { bodyFromBytes, readBody } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { ReplayableBody } from "../model/replayable-body.js";
import type { RemoteInvoker } from "../messaging/remote-invoker.js";
import { readResponseStream } from "./call-local-stream-reader.js";
import { writeRequestStream } from "./call-local-stream-writer.js";
import { fromServiceError } from "./grpc-status.js";
import { fromInternalResponse, toInternalRequest } from "./proto-convert.js";
import {
  CALL_LOCAL_PATH,
  CALL_LOCAL_STREAM_PATH,
  requestCodec,
  requestStreamCodec,
  responseCodec,
  responseStreamCodec,
} from "./service-definition.js";

export interface InternalGrpcClientOptions {
  /** Max gRPC message size both ways (daprd: `--max-body-size`, spec §2.1). */
  maxMessageSize: number;
  log?: Logger;
}

/** Room for the header part of a unary CallLocal next to a body of maxMessageSize. */
const ENVELOPE_SLACK = 64 * 1024;

/**
 * The caller side of the internal protocol on grpc-js: one grpc-js Client (one HTTP/2
 * connection) per remote sidecar address, shared by every concurrent call to it (spec §2.10).
 * Calls go over CallLocalStream; a callee that answers Unimplemented (an old daprd) gets unary
 * CallLocal instead when the body can be replayed (spec §2.8).
 */
export class InternalGrpcClient implements RemoteInvoker {
  readonly #clients = new Map<string, grpc.Client>();
  readonly #unaryOnly = new Set<string>();
  readonly #opts: InternalGrpcClientOptions;
  readonly #log: Logger;

  constructor(opts: InternalGrpcClientOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
  }

  async invoke(address: string, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    if (ctx.signal.aborted) throw new InvocationError(GrpcCode.Canceled, "context canceled");
    const client = this.#client(address);
    if (this.#unaryOnly.has(address)) return this.#callLocal(client, req, ctx, await readBody(req.body, this.#opts.maxMessageSize));

    // Keep the body replayable (by reference, no copies) for the unary fallback when its size is known.
    const replay = req.contentLength !== undefined ? new ReplayableBody(req.body, this.#opts.maxMessageSize) : undefined;
    const streamReq = replay ? { ...req, body: replay.reader() } : req;
    try {
      return await this.#callLocalStream(client, streamReq, ctx);
    } catch (err) {
      if (!(err instanceof UnimplementedOnFirstReceive)) throw err;
      if (!replay?.replayable) {
        throw new InvocationError(
          GrpcCode.Unimplemented,
          `target app '${ctx.target.appId}' is running a version of Dapr that does not support streaming-based service invocation`,
        );
      }
      this.#log.warn({ address }, "target sidecar does not support CallLocalStream; falling back to CallLocal");
      this.#unaryOnly.add(address);
      const body = await readBody(replay.reader(), this.#opts.maxMessageSize);
      return this.#callLocal(client, req, ctx, body);
    } finally {
      replay?.release();
    }
  }

  reset(address: string): void {
    const client = this.#clients.get(address);
    if (!client) return;
    this.#clients.delete(address);
    client.close();
  }

  async close(): Promise<void> {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): grpc.Client {
    let client = this.#clients.get(address);
    if (!client) {
      client = new grpc.Client(address, grpc.credentials.createInsecure(), {
        "grpc.max_send_message_length": this.#opts.maxMessageSize + ENVELOPE_SLACK,
        "grpc.max_receive_message_length": this.#opts.maxMessageSize + ENVELOPE_SLACK,
        // spec §2.10: ping after 10 s idle, 5 s ack timeout, also without active calls.
        "grpc.keepalive_time_ms": 10_000,
        "grpc.keepalive_timeout_ms": 5_000,
        "grpc.keepalive_permit_without_calls": 1,
        // One connection per address, not shared with other grpc-js users in the process.
        "grpc.use_local_subchannel_pool": 1,
      });
      this.#clients.set(address, client);
    }
    return client;
  }

  #callOptions(ctx: InvokeContext): grpc.CallOptions {
    return ctx.deadline !== undefined ? { deadline: new Date(ctx.deadline) } : {};
  }

  async #callLocalStream(client: grpc.Client, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const call = client.makeBidiStreamRequest<InternalInvokeRequestStream, InternalInvokeResponseStream>(
      CALL_LOCAL_STREAM_PATH,
      requestStreamCodec.serialize,
      responseStreamCodec.deserialize,
      new grpc.Metadata(),
      this.#callOptions(ctx),
    );
    const onAbort = () => call.cancel();
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    let sendError: unknown;
    void (async () => {
      try {
        for await (const msg of writeRequestStream(req)) {
          if (call.destroyed) return;
          if (!call.write(msg)) await once(call, "drain", { signal: ctx.signal });
        }
        call.end();
      } catch (err) {
        // A failing request body (too large, caller gone) must end the call, not leave it hanging.
        sendError = err;
        call.cancel();
      }
    })();

    let first = true;
    const messages: AsyncIterable<InternalInvokeResponseStream> = {
      [Symbol.asyncIterator]: () => {
        const it = (call as AsyncIterable<InternalInvokeResponseStream>)[Symbol.asyncIterator]();
        return {
          next: async () => {
            try {
              const r = await it.next();
              first = false;
              return r;
            } catch (err) {
              const wasFirst = first;
              first = false;
              if (sendError !== undefined) throw sendError;
              const e = fromServiceError(err);
              if (wasFirst && e.code === GrpcCode.Unimplemented) throw new UnimplementedOnFirstReceive();
              throw e;
            }
          },
          return: async () => {
            call.cancel();
            return it.return ? it.return() : { done: true, value: undefined };
          },
        };
      },
    };

    try {
      const { response, body } = await readResponseStream(messages);
      const res = fromInternalResponse(response, {
        async *[Symbol.asyncIterator]() {
          try {
            yield* body;
          } finally {
            ctx.signal.removeEventListener("abort", onAbort);
          }
        },
      });
      return res;
    } catch (err) {
      ctx.signal.removeEventListener("abort", onAbort);
      call.cancel();
      if (err instanceof UnimplementedOnFirstReceive) throw err;
      throw err instanceof InvocationError ? err : fromServiceError(err);
    }
  }

  #callLocal(client: grpc.Client, req: InvokeRequest, ctx: InvokeContext, body: Uint8Array): Promise<InvokeResponse> {
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest<ReturnType<typeof toInternalRequest>, InternalInvokeResponse>(
        CALL_LOCAL_PATH,
        requestCodec.serialize,
        responseCodec.deserialize,
        toInternalRequest(req, { includeBody: body }),
        new grpc.Metadata(),
        this.#callOptions(ctx),
        (err, msg) => {
          ctx.signal.removeEventListener("abort", onAbort);
          if (err || !msg) return reject(fromServiceError(err ?? new Error("empty CallLocal response")));
          resolve(fromInternalResponse(msg, bodyFromBytes(msg.message?.data?.value ?? new Uint8Array(0))));
        },
      );
      const onAbort = () => call.cancel();
      ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** Internal marker: the callee does not implement CallLocalStream. */
class UnimplementedOnFirstReceive extends Error {}
