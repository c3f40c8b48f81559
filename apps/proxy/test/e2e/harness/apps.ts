import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a test app saw of one request, in arrival order of its body chunks. */
export interface RecordedRequest {
  readonly seq: number;
  readonly method: string;
  /** The request target exactly as it arrived (path + raw query). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Wire spelling and order: `[name, value, name, value, …]`. */
  readonly rawHeaders: string[];
  /** Each body chunk as the app's socket delivered it. */
  readonly chunks: Buffer[];
  body: Buffer;
  complete: boolean;
}

export type AppHandler = (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest) => void | Promise<void>;

export interface TestApp {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Emits `chunk` (rec, chunk) and `end` (rec) as request bodies arrive. */
  readonly events: EventEmitter;
  /** Routes by path prefix (longest first); unmatched paths get the JSON echo. */
  route(prefix: string, handler: AppHandler): void;
  /** The recorded requests whose target starts with `prefix`. */
  find(prefix: string): RecordedRequest[];
  /** Stops listening and closes every socket (keep-alive ones included). */
  close(): Promise<void>;
}

/** The JSON the default handler answers with: what the app received. */
export interface EchoAnswer {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  bodySha256: string;
  bodyLength: number;
}

/**
 * Case-insensitive: every value the app received under `name`, from the raw headers, so
 * duplicates that Node would join with ", " stay separate.
 */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lower) out.push(rawHeaders[i + 1]!);
  return out;
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A real HTTP/1.1 app on a loopback port that records every request it gets. */
export async function startApp(): Promise<TestApp> {
  const requests: RecordedRequest[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const routes: [string, AppHandler][] = [];
  let seq = 0;

  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const rec: RecordedRequest = {
      seq: seq++,
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      chunks: [],
      body: Buffer.alloc(0),
      complete: false,
    };
    requests.push(rec);
    req.on("data", (chunk: Buffer) => {
      rec.chunks.push(chunk);
      events.emit("chunk", rec, chunk);
    });
    req.on("end", () => {
      rec.body = Buffer.concat(rec.chunks);
      rec.complete = true;
      events.emit("end", rec);
    });
    const match = routes.find(([prefix]) => rec.url.startsWith(prefix));
    const handler = match?.[1] ?? echo;
    Promise.resolve(handler(req, res, rec)).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(599, { "content-type": "text/plain" });
        res.end(String(err));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    requests,
    events,
    route(prefix, handler) {
      routes.push([prefix, handler]);
      routes.sort((a, b) => b[0].length - a[0].length);
    },
    find: (prefix) => requests.filter((r) => r.url.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits for the whole body, then answers 200 with an EchoAnswer. */
export async function echo(req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest): Promise<void> {
  await bodyDone(req, rec);
  const answer: EchoAnswer = {
    method: rec.method,
    url: rec.url,
    headers: rec.headers,
    rawHeaders: rec.rawHeaders,
    body: rec.body.toString("utf8"),
    bodySha256: sha256(rec.body),
    bodyLength: rec.body.byteLength,
  };
  const text = JSON.stringify(answer);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** Resolves once the request body has been read to its end (the recorder reads it). */
export function bodyDone(req: http.IncomingMessage, rec: RecordedRequest): Promise<void> {
  if (rec.complete) return Promise.resolve();
  return new Promise((resolve, reject) => {
    req.once("end", () => resolve());
    req.once("error", reject);
  });
}

/** Resolves with the first request body chunk the app receives for a target starting with `prefix`. */
export function nextChunk(app: TestApp, prefix: string, timeoutMs: number): Promise<{ rec: RecordedRequest; chunk: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      app.events.off("chunk", onChunk);
      reject(new Error(`app received no body chunk for ${prefix} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onChunk = (rec: RecordedRequest, chunk: Buffer) => {
      if (!rec.url.startsWith(prefix)) return;
      clearTimeout(timer);
      app.events.off("chunk", onChunk);
      resolve({ rec, chunk });
    };
    app.events.on("chunk", onChunk);
  });
}
