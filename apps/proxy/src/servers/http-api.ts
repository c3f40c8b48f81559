import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  BodyTooLargeError,
  GrpcCode,
  InvocationError,
  discardBody,
  httpHeadersFromMetadata,
  httpStatusFromGrpcCode,
  isGrpcStatus,
  isHttpVerb,
  limitBody,
  metadataFromHttpHeaders,
  readBody,
} from "@courier/invocation";
import type { DirectMessaging, InvokeRequest, InvokeResponse, Logger } from "@courier/invocation";
import { apiError } from "../errors.js";
import type { ApiErrorName } from "../errors.js";
import { MalformedPathError, routeInvocation } from "./invoke-route.js";

export interface HttpApiOptions {
  messaging: DirectMessaging;
  log: Logger;
  maxBodySize: number;
  readBufferSize: number;
  daprApiToken?: string;
  /** Readiness as spec §4.4 defines it; the runtime owns the state. */
  readiness: { ready(): string[]; outboundReady(): boolean };
  metadata: () => Record<string, unknown>;
}

const NO_APP_ID = "failed getting app id either from the URL path or the header dapr-app-id";

/** The app-facing HTTP API (spec §4): invocation in its three forms, health and metadata. */
export class HttpApiServer {
  readonly #opts: HttpApiOptions;
  readonly #servers: http.Server[] = [];
  readonly #extended = new Map<string, string>();
  #draining = false;

  constructor(opts: HttpApiOptions) {
    this.#opts = opts;
  }

  get extendedMetadata(): ReadonlyMap<string, string> {
    return this.#extended;
  }

  async listen(port: number, addresses: readonly string[]): Promise<number> {
    let bound = port;
    for (const host of addresses) {
      const server = http.createServer(
        {
          maxHeaderSize: this.#opts.readBufferSize,
          // spec §4.1: read-header timeout 10 s; bodies may stream for as long as they need.
          headersTimeout: 10_000,
          requestTimeout: 0,
          keepAliveTimeout: 65_000,
        },
        (req, res) => {
          this.#handle(req, res).catch((err) => {
            this.#opts.log.error({ err: String(err?.stack ?? err) }, "http api handler failed");
            if (!res.headersSent) writeJson(res, 500, { errorCode: "ERR_DIRECT_INVOKE", message: String(err?.message ?? err) });
            else res.destroy();
          });
        },
      );
      server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
        // Malformed requests get an answer and a closed socket, never a crash (bad input rule).
        if (!socket.writable) return socket.destroy();
        const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
        const reason = status === 431 ? "Request Header Fields Too Large" : "Bad Request";
        socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(bound, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      bound = (server.address() as AddressInfo).port;
      this.#servers.push(server);
    }
    return bound;
  }

  /** Stops accepting; in-flight requests finish; idle keep-alive sockets close. */
  async close(): Promise<void> {
    this.#draining = true;
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      ),
    );
  }

  forceClose(): void {
    for (const server of this.#servers) server.closeAllConnections();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.#draining) res.setHeader("Connection", "close");
    const rawUrl = req.url ?? "/";
    const { path: rawPath, query } = splitTarget(rawUrl);

    // Health and metadata come first: they are not invocations even with dapr-app-id (spec §4.1).
    const apiPath = rawPath.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
    if (apiPath === "/v1.0/healthz" || apiPath === "/v1.0/healthz/outbound") {
      if (req.method !== "GET" && req.method !== "HEAD") return this.#fail(res, "ERR_MALFORMED_REQUEST", `method ${req.method} not allowed`, 405);
      return this.#health(apiPath.endsWith("outbound"), query, res);
    }
    if (!this.#authorized(req)) {
      res.writeHead(401, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("invalid api token");
      req.resume();
      return;
    }
    if (apiPath === "/v1.0/metadata" || apiPath.startsWith("/v1.0/metadata/")) return this.#metadata(apiPath, req, res);

    let route;
    try {
      route = routeInvocation(rawPath, req.headers);
    } catch (err) {
      if (err instanceof MalformedPathError) return this.#fail(res, "ERR_MALFORMED_REQUEST", err.message, undefined, req);
      throw err;
    }
    if (!route) return this.#fail(res, "ERR_DIRECT_INVOKE_NO_APP_ID", NO_APP_ID, undefined, req);
    await this.#invoke(route.target, route.method, route.form, query, req, res);
  }

  async #invoke(
    target: string,
    method: string,
    form: "header" | "basic-auth" | "url",
    query: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const { maxBodySize, log } = this.#opts;
    const chunked = req.headers["transfer-encoding"] !== undefined;
    const declared = req.headers["content-length"];
    const contentLength = chunked ? undefined : declared === undefined ? 0 : Number(declared);
    if (contentLength !== undefined && contentLength > maxBodySize) {
      res.setHeader("Connection", "close");
      return this.#invokeFailed(res, target, new BodyTooLargeError(maxBodySize).message, 500, req);
    }

    // `expect: 100-continue` was answered at this hop (Node sends the 100); forwarded, it makes
    // the callee's undici refuse the app call (curl sends it for large uploads).
    const drop = ["dapr-api-token", "expect"];
    if (form === "header") drop.push("dapr-app-id");
    if (form === "basic-auth") drop.push("authorization");
    const verb = (req.method ?? "GET").toUpperCase();
    const request: InvokeRequest = {
      method,
      // spec §4.2: unknown verbs become POST.
      verb: isHttpVerb(verb) && verb !== "NONE" ? verb : "POST",
      query,
      contentType: req.headers["content-type"] ?? "",
      dataTypeUrl: "",
      metadata: metadataFromHttpHeaders(req.rawHeaders, { drop }),
      body: limitBody(req, maxBodySize),
      contentLength,
    };

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new InvocationError(GrpcCode.Canceled, "context canceled"));
    };
    res.once("close", onClose);

    let response: InvokeResponse;
    try {
      response = await this.#opts.messaging.invoke(target, request, { signal: abort.signal });
    } catch (err) {
      res.off("close", onClose);
      if (!req.readableEnded) req.resume();
      if (err instanceof InvocationError) {
        const status = err.code === GrpcCode.PermissionDenied ? 403 : 500;
        return this.#invokeFailed(res, target, err.apiText, status, req);
      }
      if (err instanceof BodyTooLargeError) return this.#invokeFailed(res, target, err.message, 500, req);
      log.warn({ err: String((err as Error)?.stack ?? err) }, "invocation failed unexpectedly");
      return this.#invokeFailed(res, target, String((err as Error)?.message ?? err), 500, req);
    }

    try {
      await this.#writeResponse(response, contentLength === undefined, req, res);
    } catch (err) {
      // spec §4.3: a failure after the headers went out can only truncate the response.
      log.warn({ target, err: String((err as Error)?.message ?? err) }, "response stream failed");
      if (!res.headersSent) {
        const text = err instanceof InvocationError ? err.apiText : String((err as Error)?.message ?? err);
        this.#invokeFailed(res, target, text, 500, req);
      } else res.destroy();
    } finally {
      res.off("close", onClose);
    }
  }

  async #writeResponse(response: InvokeResponse, streamingRequest: boolean, req: http.IncomingMessage, res: http.ServerResponse) {
    const headers = httpHeadersFromMetadata(response.headers);

    if (isGrpcStatus(response.status)) {
      // spec §4.3: a gRPC app's status maps to HTTP; errors are shown as the protojson Status.
      const status = httpStatusFromGrpcCode(response.status);
      if (status !== 200) {
        await discardBody(response.body);
        const body = JSON.stringify({
          code: response.status,
          message: response.statusMessage,
          details: response.statusDetails.map((d) => ({ "@type": d.typeUrl, value: Buffer.from(d.value).toString("base64") })),
        });
        return writeBuffered(res, status, headers, "application/json", Buffer.from(body));
      }
      return this.#stream(res, 200, headers, response.contentType, response, req);
    }

    if (!streamingRequest && (response.status < 200 || response.status > 399)) {
      // spec §4.3: an error answer is buffered (bounded) and sent with its real length.
      const body = await readBody(response.body, this.#opts.maxBodySize);
      return writeBuffered(res, response.status, headers, response.contentType || "application/json", body);
    }
    return this.#stream(res, response.status, headers, response.contentType, response, req);
  }

  async #stream(
    res: http.ServerResponse,
    status: number,
    headers: [string, string][],
    contentType: string,
    response: InvokeResponse,
    req: http.IncomingMessage,
  ) {
    for (const [name, values] of groupHeaders(headers)) res.setHeader(name, values);
    if (contentType) res.setHeader("Content-Type", contentType);
    if (req.method === "HEAD") {
      res.writeHead(status);
      await discardBody(response.body);
      res.end();
      return;
    }
    const body = response.body[Symbol.asyncIterator]();
    const first = await body.next();
    if (first.done) {
      res.writeHead(status, { "Content-Length": 0 });
      res.end();
      return;
    }
    // A body that is complete within this turn of the event loop (most answers) goes out in one
    // write with its real length; anything still streaming goes out chunked, first chunk now.
    const next = body.next();
    const second = await Promise.race([next, nextTurn()]);
    if (second !== NEXT_TURN && second.done) {
      res.writeHead(status, { "Content-Length": first.value.byteLength });
      res.end(first.value);
      return;
    }
    res.writeHead(status);
    res.write(first.value);
    await pump(body, res, second === NEXT_TURN ? next : Promise.resolve(second));
  }

  #health(outbound: boolean, query: string, res: http.ServerResponse) {
    if (outbound) {
      if (this.#opts.readiness.outboundReady()) return void res.writeHead(204).end();
      return this.#fail(res, "ERR_OUTBOUND_HEALTH_NOT_READY", "dapr outbound is not ready");
    }
    const appid = new URLSearchParams(query).get("appid");
    const self = this.#opts.messaging.self.appId;
    if (appid !== null && appid !== self) {
      return this.#fail(res, "ERR_HEALTH_APPID_NOT_MATCH", `dapr app-id does not match`);
    }
    const missing = this.#opts.readiness.ready();
    if (missing.length === 0) return void res.writeHead(204).end();
    return this.#fail(res, "ERR_HEALTH_NOT_READY", `dapr is not ready: [${missing.join(" ")}]`);
  }

  #metadata(path: string, req: http.IncomingMessage, res: http.ServerResponse) {
    if (path === "/v1.0/metadata") {
      req.resume();
      if (req.method !== "GET" && req.method !== "HEAD") return this.#fail(res, "ERR_MALFORMED_REQUEST", `method ${req.method} not allowed`, 405);
      return writeJson(res, 200, { ...this.#opts.metadata(), extended: Object.fromEntries(this.#extended) });
    }
    let key: string;
    try {
      key = decodeURIComponent(path.slice("/v1.0/metadata/".length));
    } catch {
      return this.#fail(res, "ERR_MALFORMED_REQUEST", `invalid URL escape in metadata key`, undefined, req);
    }
    if (req.method !== "PUT" || !key) {
      req.resume();
      return this.#fail(res, "ERR_METADATA_SET", "PUT /v1.0/metadata/{key} with the value as body", req.method !== "PUT" ? 405 : undefined);
    }
    readBody(req, 64 * 1024).then(
      (body) => {
        this.#extended.set(key, Buffer.from(body).toString("utf8"));
        res.writeHead(204).end();
      },
      (err: Error) => this.#fail(res, "ERR_METADATA_SET", err.message),
    );
  }

  #authorized(req: http.IncomingMessage): boolean {
    const token = this.#opts.daprApiToken;
    if (!token) return true;
    const given = req.headers["dapr-api-token"];
    return (Array.isArray(given) ? given[0] : given) === token;
  }

  #invokeFailed(res: http.ServerResponse, target: string, text: string, status: number, req?: http.IncomingMessage) {
    const name: ApiErrorName = status === 403 ? "ERR_DIRECT_INVOKE_FORBIDDEN" : "ERR_DIRECT_INVOKE";
    this.#fail(res, name, `failed to invoke, id: ${target}, err: ${text}`, status, req);
  }

  #fail(res: http.ServerResponse, name: ApiErrorName, message: string, statusOverride?: number, req?: http.IncomingMessage) {
    const { status, body } = apiError(name, message);
    // Only an unread body forces the connection closed; a bodiless request keeps it (and any
    // requests pipelined behind it) usable.
    if (req && hasUnreadBody(req)) return answerUnreadRequest(req, res, statusOverride ?? status, body);
    writeJson(res, statusOverride ?? status, body);
  }
}

/** How long an answered request's unread body is still discarded before the socket closes. */
const UNREAD_BODY_LINGER_MS = 2_000;

/** True when the request still has body bytes on the wire that nobody will read. */
function hasUnreadBody(req: http.IncomingMessage): boolean {
  if (req.complete) return false;
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

/**
 * Answers without reading an unwanted body; the connection cannot be reused after that. Node
 * closes the socket as soon as a `Connection: close` answer ends, and a client still sending
 * (an over-limit upload) then gets a reset (EPIPE) instead of the answer. So the answer goes out
 * at once but ends only when the body is discarded or after a bounded linger (Go's server also
 * lingers before closing, for the same reason).
 */
function answerUnreadRequest(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), Connection: "close" });
  res.write(text);
  const finish = () => {
    clearTimeout(timer);
    req.off("end", finish).off("close", finish);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, UNREAD_BODY_LINGER_MS).unref();
  req.once("end", finish).once("close", finish);
  req.resume();
}

const NEXT_TURN = Symbol("next turn");

function nextTurn(): Promise<typeof NEXT_TURN> {
  return new Promise((resolve) => setImmediate(resolve, NEXT_TURN));
}

/**
 * Copies the rest of a body to the caller with back-pressure: the app's body is pulled only as
 * fast as the caller reads. (A hand loop: stream.pipeline costs an AbortController per response.)
 */
async function pump(
  body: AsyncIterator<Uint8Array>,
  res: http.ServerResponse,
  pending: Promise<IteratorResult<Uint8Array>>,
): Promise<void> {
  try {
    for (let next = await pending; !next.done; next = await body.next()) {
      if (res.destroyed) throw new Error("caller went away");
      if (!res.write(next.value)) {
        await drainOrClose(res);
        if (res.destroyed) throw new Error("caller went away");
      }
    }
  } catch (err) {
    await body.return?.();
    throw err;
  }
  await new Promise<void>((resolve) => res.end(resolve));
}

/** A caller that disconnects while back-pressured emits `close` and never `drain`; wait for either. */
function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

function splitTarget(rawUrl: string): { path: string; query: string } {
  let target = rawUrl;
  if (/^https?:\/\//i.test(target)) {
    const afterScheme = target.indexOf("/", target.indexOf("//") + 2);
    target = afterScheme < 0 ? "/" : target.slice(afterScheme);
  }
  const q = target.indexOf("?");
  return q < 0 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function groupHeaders(headers: [string, string][]): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers) {
    if (!isValidHeader(name, value)) continue;
    const list = grouped.get(name);
    if (list) list.push(value);
    else grouped.set(name, [value]);
  }
  return grouped;
}

// Header names/values that Node would throw on are skipped rather than failing the answer.
function isValidHeader(name: string, value: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) && !/[\r\n\0]/.test(value);
}

function writeBuffered(res: http.ServerResponse, status: number, headers: [string, string][], contentType: string, body: Uint8Array) {
  for (const [name, values] of groupHeaders(headers)) res.setHeader(name, values);
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", body.byteLength);
  res.writeHead(status);
  res.end(body);
}

function writeJson(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
