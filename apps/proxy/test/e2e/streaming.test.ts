import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextChunk } from "./harness/apps.js";
import type { EchoAnswer, TestApp } from "./harness/apps.js";
import { chunkedRequest, readAll, within } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Bodies are streams end to end (design.md "data flow"; spec §4.2 streaming flag, §4.3 "flushing
// after every write"; §10 item 5): nothing waits for a whole body before passing bytes on.
const WAIT_MS = 10_000;
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;
/** Per stream id: lets the app write its last chunk once the test says so. */
const releases = new Map<string, () => void>();
/** Per request target: when the app saw its response closed. */
const appClosed = new Map<string, number>();

beforeAll(async () => {
  app = await env.app();
  // /stream-out/<id>: first chunk now, the rest only after the test releases <id>.
  app.route("/stream-out/", async (_req, res, rec) => {
    const id = rec.url.split("/")[2]!;
    const released = new Promise<void>((resolve) => releases.set(id, resolve));
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("part-1|");
    await within(released, WAIT_MS * 2, `stream ${id} never released`);
    res.write("part-2|");
    res.end("part-3");
  });
  // /fail-stream/<id>: a 503 whose body comes in two parts, the second after release.
  app.route("/fail-stream/", async (req, res, rec) => {
    const id = rec.url.split("/")[2]!;
    const released = new Promise<void>((resolve) => releases.set(id, resolve));
    req.resume();
    res.writeHead(503, { "content-type": "text/plain", "x-failing": "yes" });
    res.write("unavailable-1|");
    await within(released, WAIT_MS * 2, `stream ${id} never released`);
    res.end("unavailable-2");
  });
  // /duplex: echoes each request chunk as soon as it arrives.
  app.route("/duplex", (req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    req.on("data", (chunk: Buffer) => res.write(chunk));
    req.on("end", () => res.end());
  });
  // /burst/<id>: 16 MiB at once (more than loopback socket buffers hold), then stays open.
  app.route("/burst/", (_req, res, rec) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    for (let i = 0; i < 64; i++) res.write(Buffer.alloc(256 * 1024, 0x62));
    res.on("close", () => appClosed.set(rec.url, Date.now()));
  });
  [caller] = await Promise.all([
    env.courier({ appId: "caller" }),
    env.courier({ appId: "callee", appPort: app.port }),
    // A response limit above the burst, so only the caller's disconnect can end it.
    env.courier({ appId: "callee-64mi", appPort: app.port, args: ["--max-body-size", "64Mi"] }),
  ]);
});

afterAll(() => env.close());

describe("streaming", () => {
  it("a chunked request's first chunk reaches the app before the client sends the last one", async () => {
    const firstArrives = nextChunk(app, "/stream-in/one", WAIT_MS);
    const { req, response } = chunkedRequest(caller.url, {
      path: "/v1.0/invoke/callee/method/stream-in/one?q=1",
      headers: ["Content-Type", "text/plain"],
    });
    req.write("first-chunk|");
    // Held back until the app has the first chunk: a Courier that buffers the request never gets here.
    const { rec, chunk } = await firstArrives;
    expect(chunk.toString()).toBe("first-chunk|");
    expect(rec.complete).toBe(false);
    expect(rec.headers["content-length"]).toBeUndefined();
    expect(rec.method).toBe("POST");

    req.write("middle|");
    req.end("last");
    const res = await within(response, WAIT_MS, "no response after the last chunk");
    expect(res.statusCode).toBe(200);
    const answer = JSON.parse((await readAll(res)).toString()) as EchoAnswer;
    expect(answer.body).toBe("first-chunk|middle|last");
    expect(answer.url).toBe("/stream-in/one?q=1");
    expect(rec.chunks.length).toBeGreaterThanOrEqual(2);
  });

  it("a chunked app response's first chunk reaches the caller before the app writes its last one", async () => {
    const received: string[] = [];
    const res = await within(
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const { hostname, port } = new URL(caller.url);
        http.get({ host: hostname, port: Number(port), path: "/v1.0/invoke/callee/method/stream-out/alpha", agent: false }, resolve).on("error", reject);
      }),
      WAIT_MS,
      "no response headers while the app holds back its last chunk",
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain");
    const done = new Promise<void>((resolve, reject) => {
      res.on("end", resolve);
      res.on("error", reject);
    });
    const first = within(
      new Promise<void>((resolve) => {
        res.on("data", (chunk: Buffer) => {
          received.push(chunk.toString());
          resolve();
        });
      }),
      WAIT_MS,
      "the first chunk did not reach the caller while the app held back its last chunk",
    );
    await first;
    expect(received.join("")).toBe("part-1|");
    expect(releases.has("alpha")).toBe(true);
    releases.get("alpha")!();
    await within(done, WAIT_MS, "response did not end after release");
    expect(received.join("")).toBe("part-1|part-2|part-3");
    expect(received.length).toBeGreaterThanOrEqual(2);
  });

  it("request and response stream at the same time (ping-pong through both Couriers)", async () => {
    const { req, response } = chunkedRequest(caller.url, { path: "/v1.0/invoke/callee/method/duplex" });
    req.write("ping-0|");
    const res = await within(response, WAIT_MS, "no response headers while the request is still open");
    expect(res.statusCode).toBe(200);
    let got = "";
    for (let i = 1; i <= 5; i++) {
      // Each echo must come back before the next ping is sent.
      await within(
        new Promise<void>((resolve) => res.once("data", (chunk: Buffer) => resolve(void (got += chunk.toString())))),
        WAIT_MS,
        `echo ${i} did not come back while the request was open (got so far: ${got})`,
      );
      req.write(`ping-${i}|`);
    }
    req.end();
    await within(readAll(res).then((rest) => void (got += rest.toString())), WAIT_MS, "response did not end");
    expect(got).toBe("ping-0|ping-1|ping-2|ping-3|ping-4|ping-5|");
  });

  it("a caller that disconnects while back-pressured cancels the app's response and the call ends", async () => {
    const { hostname, port } = new URL(caller.url);
    const req = http.get({ host: hostname, port: Number(port), path: "/v1.0/invoke/callee-64mi/method/burst/bp", agent: false });
    req.on("error", () => {});
    const res = await within(new Promise<http.IncomingMessage>((resolve) => req.on("response", resolve)), WAIT_MS, "no response headers");
    expect(res.statusCode).toBe(200);
    // Read nothing until every buffer on the way is full, then go away.
    res.pause();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(appClosed.has("/burst/bp")).toBe(false);
    req.destroy();
    await within(
      (async () => {
        while (!appClosed.has("/burst/bp")) await new Promise((r) => setTimeout(r, 25));
      })(),
      WAIT_MS,
      "the app's response was never cancelled after the caller left",
    );
    // The caller Courier finishes the call (its access log records it) instead of waiting forever.
    await within(
      (async () => {
        while (!/invocation response aborted[^\n]*method=burst\/bp/.test(caller.output())) await new Promise((r) => setTimeout(r, 25));
      })(),
      WAIT_MS,
      "the caller Courier never finished the abandoned call",
    );
    expect(caller.child.exitCode).toBeNull();
  });

  it("for a streaming (chunked) request an app error status is streamed, not buffered (spec §4.3)", async () => {
    const { req, response } = chunkedRequest(caller.url, { path: "/v1.0/invoke/callee/method/fail-stream/beta" });
    req.end("streamed request body");
    const res = await within(response, WAIT_MS, "no response headers while the app holds back the rest of its error body");
    expect(res.statusCode).toBe(503);
    expect(res.headers["x-failing"]).toBe("yes");
    expect(res.headers["content-type"]).toBe("text/plain");
    const first = await within(
      new Promise<Buffer>((resolve) => res.once("data", resolve)),
      WAIT_MS,
      "the first part of the error body did not arrive while the app held back the rest",
    );
    expect(first.toString()).toBe("unavailable-1|");
    releases.get("beta")!();
    const rest = await within(readAll(res), WAIT_MS, "error body did not end");
    expect(first.toString() + rest.toString()).toBe("unavailable-1|unavailable-2");
  });
});
