import http from "node:http";
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface RawRequestOptions {
  method?: string;
  /** Sent exactly as given (no client-side dot-segment or escape normalization). */
  path: string;
  /**
   * Flat `[name, value, …]` pairs, sent in this order and spelling (several casings of one name
   * stay separate). `Host` is added when missing.
   */
  headers?: string[];
  /** A Buffer/string is sent with Content-Length (unless headers say otherwise). */
  body?: Buffer | string;
  timeoutMs?: number;
}

/** One request on a fresh connection with node:http, for full control of path and headers. */
export function rawRequest(baseUrl: string, opts: RawRequestOptions): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers = [...(opts.headers ?? [])];
  const has = (name: string) => headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === name);
  if (!has("host")) headers.push("Host", `${hostname}:${port}`);
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (body !== undefined && !has("content-length") && !has("transfer-encoding")) headers.push("Content-Length", String(body.byteLength));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port: Number(port), method: opts.method ?? "GET", path: opts.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 20_000, () => req.destroy(new Error(`request ${opts.method ?? "GET"} ${opts.path} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Opens a chunked request (no Content-Length) whose body the test writes piece by piece with
 * `req.write()` and ends with `req.end()`.
 */
export function chunkedRequest(
  baseUrl: string,
  opts: { method?: string; path: string; headers?: string[] },
): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const { hostname, port } = new URL(baseUrl);
  const headers = ["Host", `${hostname}:${port}`, "Transfer-Encoding", "chunked", ...(opts.headers ?? [])];
  const req = http.request({ host: hostname, port: Number(port), method: opts.method ?? "POST", path: opts.path, headers, agent: false });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  // A rejection nobody awaited yet must not crash the worker; callers see it when they await.
  response.catch(() => {});
  req.flushHeaders();
  return { req, response };
}

/** Reads a response body to its end. */
export function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.once("end", () => resolve(Buffer.concat(chunks)));
    res.once("error", reject);
    res.once("aborted", () => reject(new Error("response aborted")));
  });
}

/**
 * Writes `request` bytes verbatim on a new TCP connection and returns everything the server
 * sends until it closes the connection (use `Connection: close`).
 */
export function rawExchange(baseUrl: string, request: string, timeoutMs = 10_000): Promise<Buffer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got so far: ${Buffer.concat(chunks).toString("latin1")}`));
    }, timeoutMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(request);
  });
}

export interface ApiErrorBody {
  errorCode: string;
  message: string;
}

export function jsonBody<T>(res: RawResponse): T {
  return JSON.parse(res.body.toString("utf8")) as T;
}

/** Rejects with `message` when `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
