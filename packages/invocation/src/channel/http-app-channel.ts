import { Pool } from "undici";
import type { Dispatcher } from "undici";
import type { Readable } from "node:stream";
import { GrpcCode, InvocationError, abortedCallError } from "../errors.js";
import { canonicalHeaderKey } from "../headers/canonical-key.js";
import { HOP_BY_HOP_HEADERS, connectionNominated } from "../headers/hop-by-hop.js";
import { httpHeadersFromMetadata } from "../headers/metadata-to-http.js";
import { BodyTooLargeError, limitBody, readBody } from "../model/body.js";
import type { BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import type { AppChannel } from "./app-channel.js";
import { appRequestTarget } from "./app-url.js";

/** Known-length request bodies up to this size are sent to the app in one piece. */
const SMALL_BODY = 64 * 1024;

export interface HttpAppChannelOptions {
  /** `127.0.0.1` by default (daprd's `--app-channel-address`). */
  host?: string;
  port: number;
  protocol?: "http" | "https" | "h2c";
  /** Sent as `dapr-api-token` on every request (env APP_API_TOKEN, spec §4.4). */
  appApiToken?: string;
  /** App response header limit (daprd's `--read-buffer-size`, spec §2.11). */
  maxResponseHeaderSize?: number;
  /** App response body limit; daprd's is accidentally unlimited (spec §11 row 5). */
  maxResponseBodySize?: number;
  /** Max sockets to the app (spec §3.4: 1024). */
  connections?: number;
  /** Path probed for readiness. */
  healthPath?: string;
}

/**
 * Calls an HTTP app through one undici Pool (spec §3.4). Request and response bodies stream
 * through; redirects are returned as they are; the app's status is passed back untouched.
 */
export class HttpAppChannel implements AppChannel {
  readonly protocol: "http" | "https" | "h2c";
  readonly #pool: Pool;
  readonly #options: HttpAppChannelOptions;
  readonly #origin: string;

  constructor(options: HttpAppChannelOptions) {
    this.#options = options;
    this.protocol = options.protocol ?? "http";
    const host = options.host ?? "127.0.0.1";
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    this.#origin = `${this.protocol === "https" ? "https" : "http"}://${hostPart}:${options.port}`;
    this.#pool = new Pool(this.#origin, {
      connections: options.connections ?? 1024,
      pipelining: 1,
      maxHeaderSize: options.maxResponseHeaderSize ?? 16 * 1024,
      // Long-lived streams (SSE) must not be cut by an idle timer; deadlines come from the caller.
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: 30_000,
      allowH2: this.protocol === "h2c",
      // spec §3.4: `https` apps are called with certificate verification disabled.
      connect: this.protocol === "https" ? { rejectUnauthorized: false } : undefined,
    });
  }

  get origin(): string {
    return this.#origin;
  }

  async invoke(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    if (req.verb === "NONE") throw new InvocationError(GrpcCode.InvalidArgument, "missing HTTP extension field");
    if (req.verb === "CONNECT") throw new InvocationError(GrpcCode.InvalidArgument, "invalid HTTP verb");

    const headers = httpHeadersFromMetadata(req.metadata);
    const flat: string[] = [];
    // Host names the app's own origin: a `host` key in the metadata (a gRPC caller can send one)
    // must not override it. Go's client, and so daprd, ignores Header["Host"] the same way.
    for (const [name, value] of headers) if (name.toLowerCase() !== "host") flat.push(name, value);
    // spec §3.4: Content-Type comes from the message; protobuf payloads are labelled as such.
    const contentType = req.dataTypeUrl ? "application/x-protobuf" : req.contentType;
    if (contentType) flat.push("content-type", contentType);
    if (this.#options.appApiToken) flat.push("dapr-api-token", this.#options.appApiToken);

    const hasBody = req.contentLength === undefined || req.contentLength > 0;
    if (req.contentLength !== undefined) flat.push("content-length", String(req.contentLength));
    // A small body of known length is collected first (bounded by SMALL_BODY): handed to undici as
    // an iterable, the request stays "being written" until the caller's stream ends, and an app
    // that answers before that makes undici reset the connection (measured: a new TCP connection
    // for most calls under load). Anything larger, or of unknown length, streams.
    let requestBody: Uint8Array | Readable | null = null;
    if (hasBody) {
      requestBody =
        req.contentLength !== undefined && req.contentLength <= SMALL_BODY
          ? await readBody(req.body, req.contentLength)
          : (req.body as unknown as Readable);
    }

    let response: Dispatcher.ResponseData;
    try {
      response = await this.#pool.request({
        path: appRequestTarget(req.method, req.query),
        method: req.verb as Dispatcher.HttpMethod,
        headers: flat,
        // undici streams async iterables with back-pressure; its typings only list Readable.
        body: requestBody,
        signal: ctx.signal,
      });
    } catch (err) {
      // An aborted call reports why it was aborted (deadline or cancel), not a channel failure.
      if (ctx.signal.aborted) throw abortedCallError(ctx.signal);
      throw new InvocationError(GrpcCode.Internal, `error invoking app channel: ${describe(err, req.verb, this.#origin)}`, {
        cause: err,
      });
    }

    const responseHeaders = responseMetadata(response.headers);
    const rawType = response.headers["content-type"];
    const limit = this.#options.maxResponseBodySize;
    let body: BodyStream = response.body;
    if (limit !== undefined) {
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > limit) {
        // Destroying an unread undici body emits RequestAbortedError; with no listener that
        // 'error' event would crash the process.
        response.body.on("error", () => {});
        response.body.destroy();
        throw new InvocationError(
          GrpcCode.Internal,
          `error invoking app channel: ${new BodyTooLargeError(limit).message} (app response)`,
        );
      }
      body = limitBody(response.body, limit);
    }
    return {
      status: response.statusCode,
      statusMessage: "",
      statusDetails: [],
      headers: responseHeaders,
      trailers: responseMetadata(response.trailers ?? {}),
      contentType: Array.isArray(rawType) ? (rawType[0] ?? "") : (rawType ?? ""),
      dataTypeUrl: "",
      body,
    };
  }

  async probe(signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await this.#pool.request({
        path: this.#options.healthPath ?? "/",
        method: "GET",
        signal: signal ?? AbortSignal.timeout(2_000),
      });
      res.body.resume();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** App response headers minus hop-by-hop, Connection-nominated and Content-Length (spec §3.4). */
function responseMetadata(headers: Record<string, string | string[] | undefined>): Metadata {
  const nominated = connectionNominated(toList(headers["connection"]));
  const md = new Metadata();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === "content-length" || HOP_BY_HOP_HEADERS.has(lower) || nominated.has(lower)) continue;
    const key = canonicalHeaderKey(name);
    for (const v of toList(value)) md.append(key, v);
  }
  return md;
}

function toList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function describe(err: unknown, verb: string, origin: string): string {
  const e = err as { code?: unknown; message?: string; name?: string };
  if (e?.name === "AbortError") return "context canceled";
  const detail = typeof e?.code === "string" && e.code !== "" ? `${e.code}: ${e.message ?? ""}` : (e?.message ?? String(err));
  return `${verb} ${origin}: ${detail}`;
}
