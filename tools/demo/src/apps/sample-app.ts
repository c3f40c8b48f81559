import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a sample app tells the demo, one JSON object per stdout line. */
export type AppEvent =
  | { event: "listening"; app: string; port: number }
  | {
      event: "request";
      app: string;
      /** The demo's `x-demo-call` header, so the demo can match the request to its call. */
      call: string | null;
      method: string;
      path: string;
      query: string;
      headers: Record<string, string>;
      body: string;
    };

export interface AppRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
}

export interface AppReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const MAX_BODY = 64 * 1024;

/**
 * Runs a tiny JSON-over-HTTP app on 127.0.0.1 (port from `--port`, else any free port) and
 * reports every request on stdout, which is how the demo shows what the app received.
 * `GET /healthz` is Courier's readiness probe and is answered without a report.
 */
export function runSampleApp(app: string, handle: (req: AppRequest) => AppReply): void {
  const portArg = process.argv.indexOf("--port");
  const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;
  const report = (e: AppEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://app.invalid");
      const body = Buffer.concat(chunks).toString("utf8");
      if (url.pathname === "/healthz") return reply(res, { status: 200, body: { ok: true } });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const call = headers["x-demo-call"] ?? null;
      report({ event: "request", app, call, method: req.method ?? "", path: url.pathname, query: url.search.slice(1), headers, body });
      let answer: AppReply;
      try {
        answer = handle({ method: req.method ?? "", path: url.pathname, query: url.searchParams, body });
      } catch (err) {
        answer = { status: 400, body: { error: (err as Error).message } };
      }
      reply(res, { ...answer, headers: { "x-served-by": app, ...answer.headers } });
    });
  });

  server.listen(port, "127.0.0.1", () => {
    report({ event: "listening", app, port: (server.address() as AddressInfo).port });
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The demo holds our stdin open; when it goes away (even killed), so do we.
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
}

function reply(res: http.ServerResponse, answer: AppReply): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Parses a JSON body or throws a message the app can answer 400 with. */
export function jsonBody(req: AppRequest): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(req.body || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new Error("expected a JSON object body");
}
