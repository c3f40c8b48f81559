import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyDone, sha256 } from "./harness/apps.js";
import type { EchoAnswer, TestApp } from "./harness/apps.js";
import { chunkedRequest, jsonBody, rawRequest, readAll } from "./harness/client.js";
import type { ApiErrorBody, RawResponse } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Request/response bodies and --max-body-size (spec §2.11, §4.2, §11 row 5).
const MiB = 1024 * 1024;
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;
let smallCaller: CourierProcess;
let bigCaller: CourierProcess;

beforeAll(async () => {
  app = await env.app();
  // Answers with exactly the bytes and Content-Type it got, plus what it measured.
  app.route("/verbatim", async (req, res, rec) => {
    await bodyDone(req, rec);
    res.writeHead(200, {
      "content-type": req.headers["content-type"] ?? "application/octet-stream",
      "x-received-sha256": sha256(rec.body),
      "x-received-length": String(rec.body.byteLength),
      "content-length": String(rec.body.byteLength),
    });
    res.end(rec.body);
  });
  // Reads the whole body and answers only its size, so a big request cannot fail on the response.
  app.route("/sink/", async (req, res, rec) => {
    await bodyDone(req, rec);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(String(rec.body.byteLength));
  });
  // /sized/<n>: a response of n bytes with a declared Content-Length.
  app.route("/sized/", (_req, res, rec) => {
    const n = Number(rec.url.split("/")[2]);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(n) });
    res.end(Buffer.alloc(n, 0x61));
  });
  const started = await Promise.all([
    env.courier({ appId: "caller" }),
    env.courier({ appId: "caller-1ki", args: ["--max-body-size", "1Ki"] }),
    env.courier({ appId: "caller-64mi", args: ["--max-body-size", "64Mi"] }),
    env.courier({ appId: "callee", appPort: app.port }),
    env.courier({ appId: "callee-64mi", appPort: app.port, args: ["--max-body-size", "64Mi"] }),
  ]);
  [caller, smallCaller, bigCaller] = started;
});

afterAll(() => env.close());

function post(via: CourierProcess, target: string, path: string, body: Buffer | string, contentType = "application/octet-stream") {
  return rawRequest(via.url, {
    method: "POST",
    path: `/v1.0/invoke/${target}/method${path}`,
    headers: ["Content-Type", contentType],
    body,
    timeoutMs: 45_000,
  });
}

function expectTooLarge(res: RawResponse, target: string): void {
  expect(res.status, res.body.toString()).toBe(500);
  const body = jsonBody<ApiErrorBody>(res);
  expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
  expect(body.message).toMatch(new RegExp(`^failed to invoke, id: ${target}, err: `));
  expect(body.message).toContain("stream too large");
}

async function expectHealthyAndWorking(via: CourierProcess, target: string): Promise<void> {
  expect(via.child.exitCode).toBeNull();
  expect((await fetch(`${via.url}/v1.0/healthz`)).status).toBe(204);
  const res = await post(via, target, "/after", "small follow-up", "text/plain");
  expect(res.status).toBe(200);
  expect(jsonBody<EchoAnswer>(res).body).toBe("small follow-up");
}

describe("round trips", () => {
  it("a JSON POST round-trips byte-exact with its Content-Type", async () => {
    const json = Buffer.from(
      JSON.stringify({ id: 7, name: "Zoë \u2603 \ud83d\ude80", nested: { list: [1, 2.5, null, true], esc: "\"\\/\n\t" }, empty: "" }, null, 1),
    );
    const res = await post(caller, "callee", "/verbatim/json", json, "application/json; charset=utf-8");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.body.equals(json)).toBe(true);
    expect(res.headers["x-received-sha256"]).toBe(sha256(json));
  });

  it("every byte value survives both ways", async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
    const res = await post(caller, "callee", "/verbatim/binary", bytes);
    expect(res.status).toBe(200);
    expect(res.body.equals(bytes)).toBe(true);
    expect(res.headers["x-received-length"]).toBe("4096");
  });

  it("a body of exactly the default limit (4Mi) passes both ways", async () => {
    const data = randomBytes(4 * MiB);
    const res = await post(caller, "callee", "/verbatim/exact-limit", data);
    expect(res.status, res.body.subarray(0, 300).toString()).toBe(200);
    expect(res.headers["x-received-sha256"]).toBe(sha256(data));
    expect(sha256(res.body)).toBe(sha256(data));
  });
});

describe("request bodies over --max-body-size", () => {
  it("default 4Mi: 4Mi+1 with Content-Length → 500 stream too large, the app never sees it", async () => {
    // The client sends the whole body and must still read the answer (not a reset), every time.
    for (let i = 0; i < 3; i++) expectTooLarge(await post(caller, "callee", "/verbatim/over-default", Buffer.alloc(4 * MiB + 1, 1)), "callee");
    expect(app.find("/verbatim/over-default")).toEqual([]);
    await expectHealthyAndWorking(caller, "callee");
  });

  it("default 4Mi: a chunked body growing past 4Mi → 500 stream too large", async () => {
    const { req, response } = chunkedRequest(caller.url, { path: "/v1.0/invoke/callee/method/sink/over-chunked" });
    const piece = Buffer.alloc(256 * 1024, 2);
    for (let i = 0; i < 17; i++) req.write(piece); // 4.25 MiB
    req.end();
    const res = await response;
    const body = await readAll(res);
    expectTooLarge({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }, "callee");
    // The app may have seen the start of the stream, never a completed over-limit body.
    expect(app.find("/sink/over-chunked").filter((r) => r.complete)).toEqual([]);
    await expectHealthyAndWorking(caller, "callee");
  });

  it("--max-body-size 1Ki on the caller: 1024 bytes pass, 1025 bytes fail, the Courier stays healthy", async () => {
    const ok = await post(smallCaller, "callee", "/verbatim/1ki", Buffer.alloc(1024, 3));
    expect(ok.status).toBe(200);
    expect(ok.headers["x-received-length"]).toBe("1024");

    expectTooLarge(await post(smallCaller, "callee", "/verbatim/1ki-plus-one", Buffer.alloc(1025, 3)), "callee");
    expect(app.find("/verbatim/1ki-plus-one")).toEqual([]);
    await expectHealthyAndWorking(smallCaller, "callee");
  });

  it("--max-body-size 1Ki on the caller: a chunked 3000-byte body fails, the Courier stays healthy", async () => {
    const { req, response } = chunkedRequest(smallCaller.url, { path: "/v1.0/invoke/callee/method/sink/1ki-chunked" });
    req.write(Buffer.alloc(1000, 4));
    req.write(Buffer.alloc(1000, 4));
    req.end(Buffer.alloc(1000, 4));
    const res = await response;
    const body = await readAll(res);
    expectTooLarge({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }, "callee");
    expect(app.find("/sink/1ki-chunked").filter((r) => r.complete)).toEqual([]);
    await expectHealthyAndWorking(smallCaller, "callee");
  });
});

describe("app responses over the callee's --max-body-size", () => {
  it("a declared 4Mi+1 response → 500 stream too large, and the next call works", async () => {
    const res = await rawRequest(caller.url, { path: `/v1.0/invoke/callee/method/sized/${4 * MiB + 1}` });
    expectTooLarge(res, "callee");
    const ok = await rawRequest(caller.url, { path: "/v1.0/invoke/callee/method/sized/1000" });
    expect(ok.status).toBe(200);
    expect(ok.body.byteLength).toBe(1000);
  });
});

describe("large bodies with --max-body-size 64Mi on both Couriers", () => {
  it("20 MiB round-trips, digest verified both ways", async () => {
    const data = randomBytes(20 * MiB);
    const digest = sha256(data);
    const res = await post(bigCaller, "callee-64mi", "/verbatim/20mib", data);
    expect(res.status, res.body.subarray(0, 300).toString()).toBe(200);
    expect(res.headers["x-received-length"]).toBe(String(20 * MiB));
    expect(res.headers["x-received-sha256"]).toBe(digest);
    expect(res.body.byteLength).toBe(20 * MiB);
    expect(sha256(res.body)).toBe(digest);
  });
});
