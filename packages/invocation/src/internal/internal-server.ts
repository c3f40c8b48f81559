import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { InternalInvokeRequest, InternalInvokeRequestStream, InternalInvokeResponse, InternalInvokeResponseStream } from "@courier/protos";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { CalleeDispatcher } from "../messaging/callee-dispatcher.js";
import { bodyFromBytes, discardBody, readBody } from "../model/body.js";
import { readRequestStream } from "./call-local-stream-reader.js";
import { writeResponseStream } from "./call-local-stream-writer.js";
import { toStatusObject } from "./grpc-status.js";
import { fromInternalRequest, toInternalResponse } from "./proto-convert.js";
import { serviceInvocationDefinition } from "./service-definition.js";

export interface InternalGrpcServerOptions {
  dispatcher: CalleeDispatcher;
  /** Max gRPC message size both ways (daprd: `--max-body-size`, spec §2.11). */
  maxMessageSize: number;
  log?: Logger;
}

const ENVELOPE_SLACK = 64 * 1024;

/**
 * The callee side of the internal protocol (spec §3.1, §3.2) on a grpc-js Server. Framing
 * errors and malformed messages get a gRPC status; nothing a peer sends can throw past here.
 */
export class InternalGrpcServer {
  readonly #server: grpc.Server;
  readonly #opts: InternalGrpcServerOptions;
  readonly #log: Logger;
  readonly #active = new Set<{ cancel(): void }>();

  constructor(opts: InternalGrpcServerOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#server = new grpc.Server({
      "grpc.max_receive_message_length": opts.maxMessageSize + ENVELOPE_SLACK,
      "grpc.max_send_message_length": opts.maxMessageSize + ENVELOPE_SLACK,
      // spec §2.10: pings after 10 s idle with a 5 s timeout; tolerate callers pinging every 5 s.
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
      "grpc.http2.min_ping_interval_without_data_ms": 5_000,
      "grpc.keepalive_permit_without_calls": 1,
    });
    this.#server.addService(serviceInvocationDefinition, {
      CallLocal: (call: grpc.ServerUnaryCall<InternalInvokeRequest, InternalInvokeResponse>, cb: grpc.sendUnaryData<InternalInvokeResponse>) =>
        void this.#callLocal(call, cb),
      CallLocalStream: (call: grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>) =>
        void this.#callLocalStream(call),
    });
  }

  listen(port: number, host = "127.0.0.1"): Promise<number> {
    const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** Stops accepting; waits up to `graceMs` for in-flight calls, then cancels them. */
  async close(graceMs = 5_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const call of this.#active) call.cancel();
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #signalFor(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): { signal: AbortSignal; deadline?: number; done(): void } {
    const controller = new AbortController();
    const onCancel = () => controller.abort(new InvocationError(GrpcCode.Canceled, "context canceled"));
    call.on("cancelled", onCancel);
    const dl = call.getDeadline();
    const deadline = dl instanceof Date ? dl.getTime() : Number.isFinite(dl) ? Number(dl) : undefined;
    let timer: NodeJS.Timeout | undefined;
    if (deadline !== undefined) {
      // The caller's deadline reaches the app call (deliberate difference, spec §11 row 4).
      timer = setTimeout(
        () => controller.abort(new InvocationError(GrpcCode.DeadlineExceeded, "context deadline exceeded")),
        Math.max(0, deadline - Date.now()),
      );
    }
    const handle = { cancel: onCancel };
    this.#active.add(handle);
    return {
      signal: controller.signal,
      deadline,
      done: () => {
        if (timer) clearTimeout(timer);
        call.off("cancelled", onCancel);
        this.#active.delete(handle);
      },
    };
  }

  async #callLocal(
    call: grpc.ServerUnaryCall<InternalInvokeRequest, InternalInvokeResponse>,
    cb: grpc.sendUnaryData<InternalInvokeResponse>,
  ): Promise<void> {
    const { signal, deadline, done } = this.#signalFor(call);
    try {
      const msg = call.request;
      if (!msg.message) {
        throw new InvocationError(GrpcCode.InvalidArgument, "parsing InternalInvokeRequest error: field Message is nil");
      }
      const data = msg.message.data?.value ?? new Uint8Array(0);
      const req = fromInternalRequest(msg, bodyFromBytes(data), data.byteLength);
      const res = await this.#opts.dispatcher.dispatch(req, { signal, deadline });
      const body = await readBody(res.body, this.#opts.maxMessageSize);
      cb(null, toInternalResponse(res, { includeBody: body }));
    } catch (err) {
      cb(toStatusObject(err));
    } finally {
      done();
    }
  }

  async #callLocalStream(call: grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>): Promise<void> {
    const { signal, deadline, done } = this.#signalFor(call);
    let res;
    try {
      // Reading the request to its end must not destroy the duplex: the response still goes out on it.
      const { request, body } = await readRequestStream(
        call.iterator({ destroyOnReturn: false }) as AsyncIterable<InternalInvokeRequestStream>,
      );
      const length = Number(firstValue(request.metadata, "content-length"));
      const req = fromInternalRequest(request, body, Number.isInteger(length) && length >= 0 ? length : undefined);
      res = await this.#opts.dispatcher.dispatch(req, { signal, deadline });
      for await (const msg of writeResponseStream(res)) {
        if (call.cancelled || call.destroyed) break;
        if (!call.write(msg)) await once(call, "drain", { signal });
      }
      if (!call.cancelled) call.end();
    } catch (err) {
      if (res) void discardBody(res.body);
      const status = toStatusObject(err);
      if (!call.cancelled && !call.destroyed) {
        if (status.code === GrpcCode.Internal || status.code === GrpcCode.Unknown) {
          this.#log.debug({ err: status.details }, "CallLocalStream failed");
        }
        call.emit("error", status);
      }
    } finally {
      done();
    }
  }
}

function firstValue(map: InternalInvokeRequest["metadata"], name: string): string | undefined {
  for (const [key, list] of Object.entries(map)) {
    if (key.toLowerCase() === name && list.values.length > 0) return list.values[0];
  }
  return undefined;
}
